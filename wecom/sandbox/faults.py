"""Failures injected into WeCom calls on purpose, through POST /__sandbox__/faults.

A fault names a path ("meeting/update", "gettoken", or "*" for every WeCom call) and a kind:

- errcode: answer {"errcode": value} (HTTP 200) without applying the call;
- http_status: answer HTTP `value` with a non-JSON body, as a proxy in between would;
- delay: wait `value` seconds, then process the call normally;
- timeout: hold the connection `value` seconds (30 by default), then close it unanswered;
- disconnect: close the connection unanswered at once.

With `"after": true`, timeout and disconnect first apply the call: the change is made, the
answer is lost (the case a client must not blindly re-send). A fault fires `times` times
(1 by default), or, with `rate`, on that share of matching calls (drawn from a generator
seeded with `seed`) until `times`, if given, runs out.
"""

import random

KINDS = ("errcode", "http_status", "delay", "timeout", "disconnect")
DEFAULT_TIMEOUT = 30.0


class Fault:
    def __init__(self, fault_id, spec):
        if not isinstance(spec, dict):
            raise ValueError("expected a JSON object")
        unknown = set(spec) - {"path", "kind", "value", "times", "rate", "seed", "after"}
        if unknown:
            raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
        self.id = fault_id
        self.path = normalise_path(spec.get("path"))
        self.kind = spec.get("kind")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        self.value = self._value(spec.get("value"))
        self.after = spec.get("after", False)
        if not isinstance(self.after, bool):
            raise ValueError("after must be true or false")
        if self.after and self.kind not in ("timeout", "disconnect"):
            raise ValueError("after applies to timeout and disconnect only")
        self.rate = spec.get("rate")
        if self.rate is not None and (
            isinstance(self.rate, bool)
            or not isinstance(self.rate, int | float)
            or not 0 < self.rate <= 1
        ):
            raise ValueError("rate must be a number above 0 and at most 1")
        times = spec.get("times", 1 if self.rate is None else None)
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise ValueError("times must be a whole number of at least 1")
        self.remaining = times
        seed = spec.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | str)):
            raise ValueError("seed must be a number or a string")
        self.random = random.Random(seed)
        self.fired = 0

    def _value(self, value):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if self.kind == "errcode":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError("an errcode fault needs a whole-number value")
            return value
        if self.kind == "http_status":
            value = 500 if value is None else value
            if not isinstance(value, int) or isinstance(value, bool) or not 200 <= value <= 599:
                raise ValueError("an http_status fault needs a status from 200 to 599")
            return value
        if self.kind == "delay":
            if not number or value < 0:
                raise ValueError("a delay fault needs a number of seconds")
            return float(value)
        if self.kind == "timeout":
            value = DEFAULT_TIMEOUT if value is None else value
            if not number or value < 0:
                raise ValueError("a timeout fault needs a number of seconds")
            return float(value)
        return None

    def matches(self, path):
        return self.path in ("*", path) and (self.remaining is None or self.remaining > 0)

    def fires(self):
        if self.rate is not None and self.random.random() >= self.rate:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        self.fired += 1
        return True

    def describe(self):
        return {
            "id": self.id,
            "path": self.path,
            "kind": self.kind,
            "value": self.value,
            "after": self.after,
            "rate": self.rate,
            "remaining": self.remaining,
            "fired": self.fired,
        }


class Faults:
    """The faults in force, first added first considered. Not thread-safe on its own: the
    server holds the sandbox's lock around every use."""

    def __init__(self):
        self._faults = []
        self._next_id = 1

    def add(self, spec):
        fault = Fault(self._next_id, spec)
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def clear(self):
        self._faults = []

    def take(self, path):
        """The fault that fires for this call, if any; spent faults are dropped."""
        for fault in self._faults:
            if fault.matches(path) and fault.fires():
                self._faults = [f for f in self._faults if f.remaining != 0]
                return fault
        return None

    def describe(self):
        return [fault.describe() for fault in self._faults]


def normalise_path(path):
    """ "/cgi-bin/meeting/update", "meeting/update" and "/meeting/update" are one path."""
    if not isinstance(path, str) or not path.strip("/"):
        raise ValueError('path is required, e.g. "meeting/update", or "*"')
    path = path.strip("/")
    if path.startswith("cgi-bin/"):
        path = path[len("cgi-bin/") :]
    return path
