"""What a failed call means for the meeting: try again (when, and why), or stop and say why.

One function, `decide`, so that the whole policy reads in one place; `pause_for` and
`pause` hold the shared wait that WeCom's 45009 (the app's calls blocked for the rest of a
window) imposes on every meeting, kept small so a per-API limiter can take its place.
"""

import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from wecom.errors import ConfigurationError, PermanentError, TokenError, TransientError

from .. import problems

TOKEN_ERRCODES = (40014, 42001)
PAUSE_KEY = "meetings:sync:wecom-paused-until"


@dataclass(frozen=True)
class Decision:
    retry: bool
    # Seconds before the next try (retry only).
    delay: float = 0.0
    # problems.Problem: why, in words the administrator's language renders when shown.
    problem: object = None
    # The field the refusal concerns, when WeCom named one.
    field: str = ""


def max_tries():
    return getattr(settings, "SYNC_MAX_TRIES", 8)


def backoff(tries):
    """Seconds before try number `tries + 1`: exponential, capped, with jitter so that
    meetings that failed together do not come back together. The first half of the delay is
    kept, so a retry never comes sooner than half the nominal back-off."""
    base = getattr(settings, "SYNC_BACKOFF_BASE", 5)
    cap = getattr(settings, "SYNC_BACKOFF_MAX", 600)
    delay = min(cap, base * 2 ** max(0, tries - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def decide(err, *, tries, last_errcode):
    """The error of this meeting's try number `tries + 1`, the previous try's errcode."""
    if isinstance(err, TokenError) and last_errcode in TOKEN_ERRCODES:
        # The client refreshed and re-sent once already, and the previous try ended the same
        # way: a token WeCom keeps refusing is for an operator, not for more tries.
        return Decision(False, problem=problems.Problem("token_refused", errcode=err.errcode))
    if isinstance(err, TransientError | TokenError):
        if tries + 1 >= max_tries():
            return Decision(False, problem=problems.Problem(
                "gave_up", {"tries": tries + 1, "reason": _short_reason(err)}, err.errcode,
            ))
        if err.errcode == 45009 and err.retry_after:
            pause(err.retry_after)
        delay = backoff(tries + 1)
        if err.retry_after:
            # WeCom said how long the block lasts: wait it out, spread a little so the
            # waiting meetings do not all come back in the same second.
            delay = err.retry_after + random.uniform(0, min(err.retry_after, delay))
        return Decision(True, delay, problems.wecom(err))
    field_name = err.field if isinstance(err, PermanentError) else ""
    if isinstance(err, ConfigurationError):
        problem = problems.wecom(err)
    else:
        problem = problems.wecom(err)
    return Decision(False, problem=problem, field=field_name or "")


def _short_reason(err):
    if err.errcode is None:
        return err.description
    return f"errcode {err.errcode}"


def pause(seconds):
    until = time.time() + seconds
    cache.set(PAUSE_KEY, until, timeout=int(seconds) + 1)


def pause_for():
    """Seconds left of a shared pause; 0 when calls may go out."""
    until = cache.get(PAUSE_KEY)
    if until is None:
        return 0
    return max(0.0, until - time.time())
