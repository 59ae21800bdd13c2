"""The three-way merge, pure: no database, no HTTP.

Three states of one meeting are compared leaf by leaf (title, the start with its duration,
invitees, each setting, each reminders field):

- base: what WeCom last held when we read it (`synced_state`),
- mine: what the administrators want now (`payloads.desired_body`),
- theirs: what WeCom holds now (get_info, normalised).

A leaf changed only in WeCom is taken in; a leaf changed on both sides to different values is
a conflict for a person to settle; everything else is the administrators' value. Every state
is first taken as WeCom holds it (`payloads.as_wecom_holds`), so the organiser WeCom keeps
among the invitees is no change made anywhere.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import payloads, rules

# The leaf that stands for the start and the duration together: a new time slot is one
# decision, so a start moved here and a duration changed in WeCom is a conflict, not a mix.
TIME = "meeting_start"
# What the attempts record shows in place of a secret that was sent.
REDACTED = "***"


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


# A leaf that one of the states does not have at all (a setting that does not apply there,
# or one that get_info does not report).
ABSENT = _Absent()


def leaves(body: dict[str, Any] | None) -> dict[str, Any]:
    """The comparable leaves of an update body: `title`, `meeting_start` (start and duration
    as one), `invitees`, `settings.<name>`, `reminders.<name>`…"""
    body = body or {}
    flat: dict[str, Any] = {}
    for key, value in body.items():
        if key == "meetingid" or key in payloads.TIME_FIELDS:
            continue
        if key in ("settings", "reminders") and isinstance(value, dict):
            for name, sub in value.items():
                flat[f"{key}.{name}"] = sub
        else:
            flat[key] = value
    if any(name in body for name in payloads.TIME_FIELDS):
        flat[TIME] = {name: body.get(name) for name in payloads.TIME_FIELDS}
    return flat


def leaf_of(path: str) -> str:
    """The leaf (`leaves`) that a field of the audit record's changes belongs to."""
    return TIME if path in payloads.TIME_FIELDS else path


def body_from_leaves(flat: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key, value in flat.items():
        if key == TIME:
            body.update({name: v for name, v in value.items() if v is not None})
        elif key.startswith(("settings.", "reminders.")):
            group, name = key.split(".", 1)
            body.setdefault(group, {})[name] = value
        else:
            body[key] = value
    return body


def same(a: object, b: object) -> bool:
    """payloads.same, with ABSENT equal only to itself."""
    if a is ABSENT or b is ABSENT:
        return a is b
    return payloads.same(a, b)


def differing(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[str]:
    """The leaves in which two bodies differ, as WeCom would tell them apart."""
    first, second = leaves(a), leaves(b)
    return sorted(
        key
        for key in {*first, *second}
        if not same(first.get(key, ABSENT), second.get(key, ABSENT))
    )


@dataclass
class Merge:
    body: dict
    # Leaves taken in from WeCom: {leaf: WeCom's value}.
    taken: dict = field(default_factory=dict)
    # Leaves changed on both sides: {leaf: {"mine": …, "wecom": …}}.
    conflicts: dict = field(default_factory=dict)
    # WeCom's state as far as it is known, with a leaf get_info left out standing at base.
    theirs: dict = field(default_factory=dict)


def merge(
    base: dict[str, Any] | None,
    mine: dict[str, Any],
    theirs: dict[str, Any],
    sent: Iterable[dict[str, Any]] = (),
) -> "Merge":
    """Combine the three states leaf by leaf. `base` None (never read back) counts as WeCom's
    current state: then every difference is the administrators' and is sent.

    `sent` holds the bodies of updates sent since WeCom last confirmed (their answer lost,
    or refused): WeCom may hold their values although no answer said so, and a value of
    ours is no change made in WeCom."""
    t = leaves(theirs)
    b = t if base is None else leaves(base)
    m = leaves(mine)
    ours = [leaves(body) for body in sent]
    merged: dict[str, Any] = {}
    taken: dict[str, Any] = {}
    conflicts: dict[str, dict[str, Any]] = {}
    known: dict[str, Any] = {}
    for key in list(m) + [k for k in {**b, **t} if k not in m]:
        bv, mv, tv = b.get(key, ABSENT), m.get(key, ABSENT), t.get(key, ABSENT)
        if tv is ABSENT:
            # get_info does not report every field; what it leaves out is taken as unchanged.
            tv = bv
        if tv is not ABSENT:
            known[key] = tv
        mine_changed = not same(mv, bv)
        theirs_changed = not same(tv, bv) and not _sent_by_us(key, tv, ours)
        value = mv
        if theirs_changed and not mine_changed:
            value = tv
            taken[key] = tv
        elif theirs_changed and mv is not ABSENT and not same(mv, tv):
            # A field that no longer applies here (mine ABSENT) cannot conflict: whatever
            # WeCom set it to, the meeting as decided here does not use it.
            conflicts[key] = {"mine": mv, "wecom": None if tv is ABSENT else tv}
        if value is not ABSENT:
            merged[key] = value
    return Merge(rules.prune(body_from_leaves(merged)), taken, conflicts, known)


def _sent_by_us(key: str, value: object, ours: list[dict[str, Any]]) -> bool:
    for body in ours:
        if key not in body:
            continue
        # The record keeps no secret: a secret we sent may be the one WeCom holds, and the
        # newest one decided here is sent anyway.
        if body[key] == REDACTED or same(body[key], value):
            return True
    return False


def to_send(merge_result: Merge) -> dict[str, Any]:
    """What an update must carry to turn WeCom's current state into the merged one: only
    what differs (payloads.diff, which asks payloads.same), the start and the duration
    together, settings and reminders whole."""
    return payloads.diff(body_from_leaves(merge_result.theirs), merge_result.body)


def groups_of(body: dict[str, Any], taken: Iterable[str]) -> dict[str, Any]:
    """The part of the merged body that carries the taken leaves, in the groups apply_body
    writes: settings and reminders whole (apply_body empties a settings list left out)."""
    part: dict[str, Any] = {}
    for key in taken:
        if key == TIME:
            for name in payloads.TIME_FIELDS:
                part[name] = body[name]
        elif key.startswith(("settings.", "reminders.")):
            group = key.split(".", 1)[0]
            part[group] = body.get(group, {})
        else:
            part[key] = body.get(key)
    return part
