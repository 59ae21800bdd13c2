"""A calendar's writes: add, update, delete, and taking in what WeCom holds (refresh).

A calendar is written to WeCom within the administrator's request, not through the meeting
worker: it is small and the administrator wants its cal_id at once. So each action asks WeCom
first, outside any transaction (the token cache may be this database), and only then stores
what WeCom accepted, with its audit event, in one transaction. A write WeCom refuses, or that
cannot reach WeCom, stores nothing, leaves an event saying what was tried and why, and raises
CalendarRefused with the reason in the administrator's words.

Update overwrites the whole calendar in WeCom (oa/calendar/update, docs/wecom.md
"Calendars"), so it reads the calendar from WeCom first: when that no longer matches what was
stored as the form was loaded (its fingerprint), WeCom's values are taken in and
ChangedInWeCom is raised, and nothing is written until the administrator saves again.

A write whose answer never came may have been carried out all the same (error.maybe_applied).
WeCom's state is what WeCom answers, not what was sent: an add cannot be looked for (WeCom
cannot list an app's calendars), so the administrator is warned; an update or a delete is read
back and recorded as WeCom holds it, and when that read fails too, the administrator is told
that it is not known whether WeCom took it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from wecom.client import get_client
from wecom.errors import TransientError, WeComError
from wecom.tokens import SecretHold

from .. import audit
from ..models import AuditEvent, Calendar
from .errors import CalendarRefused, ChangedInWeCom

if TYPE_CHECKING:
    from django.utils.functional import Promise
    from django_stubs_ext import StrOrPromise

    from . import Actor

Action = AuditEvent.Action

# A share's permission (https://developer.work.weixin.qq.com/document/path/93647): 1 lets the
# member see the events, 3 only when the calendar is busy.
VIEW, FREE_BUSY = 1, 3
PERMISSIONS = (VIEW, FREE_BUSY)
# The fields WeCom's update overwrites and this app keeps: what is stored, compared and audited.
FIELDS = ("summary", "color", "description", "admins", "shares")
FINGERPRINT_LENGTH = 16


def normalised(calendar: dict[str, Any] | Calendar) -> dict[str, Any]:
    """The kept fields of a calendar (a dict in WeCom's shape, or a stored row) as the form
    would have parsed them: WeCom leaves empty fields and a share's default permission out,
    and may answer a colour in lower case, none of which is a change."""

    def get(name: str, default: Any) -> Any:
        value = calendar.get(name) if isinstance(calendar, dict) else getattr(calendar, name)
        return default if value is None else value

    return {
        "summary": get("summary", ""),
        "color": get("color", "").upper(),
        "description": get("description", ""),
        "admins": list(get("admins", [])),
        "shares": [
            {"userid": share.get("userid"), "permission": share.get("permission", VIEW)}
            for share in get("shares", [])
        ],
    }


def fingerprint(calendar: dict[str, Any] | Calendar) -> str:
    """A short mark of a calendar's kept fields. The edit form carries the one of what was
    stored when it was loaded, so that a save can tell whether WeCom has changed since
    without a version column: update overwrites everything, so any difference matters."""
    text = json.dumps(normalised(calendar), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


@dataclass
class Saved:
    """A calendar WeCom holds and this app stored, and the members WeCom could not share it
    with (left out of what is stored)."""

    calendar: Calendar
    unshared: list[str] = field(default_factory=list)


@dataclass
class Refreshed:
    """What a refresh took in: the calendars that had changed in WeCom, and the names of those
    WeCom no longer gives this app (kept here: their absence may be a passing fault)."""

    changed: list[Calendar]
    missing: list[str]


def add_calendar(body: dict[str, Any], *, actor: Actor, source_ip: str | None = None) -> Saved:
    """Add the calendar `body` (the form's, in WeCom's shape) in WeCom, then store it."""
    try:
        answer = get_client().calendar_add(body)
    except WeComError as error:
        raise _refused(None, body, error, actor, source_ip, reason=_add_lost(error)) from error
    return _store(answer["cal_id"], body, _unshared(answer), actor=actor, source_ip=source_ip)


def update_calendar(
    calendar: Calendar,
    body: dict[str, Any],
    *,
    loaded: str = "",
    actor: Actor,
    source_ip: str | None = None,
) -> Saved | None:
    """Overwrite `calendar` in WeCom with `body` and store it; None when `body` changes
    nothing. `loaded` is the fingerprint the form carried; a form sent without one (a page
    opened before it existed) is held against what is stored now, so WeCom's own changes are
    still caught."""
    # Compared as parsed, so that a colour the browser sends in lower case, or a list typed
    # in another order of spaces, does not send WeCom an identical calendar.
    if normalised(body) == normalised(calendar):
        return None
    current = _read(calendar, body, actor, source_ip)
    if normalised(current) == normalised(body):
        # WeCom holds what is asked already (a save whose answer was lost, and that could not
        # be read back then, was taken): it is saved, with nothing to send. Only all of it: a
        # member WeCom could not share with before is asked for again.
        return _store(calendar.cal_id, body, set(), actor=actor, source_ip=source_ip)
    if fingerprint(current) != (loaded or fingerprint(calendar)):
        # Writing now would silently undo what was changed in WeCom: take it in (its event
        # says it came from WeCom) and let the administrator decide with it in view.
        _take_in([current], actor=actor, source_ip=source_ip)
        raise ChangedInWeCom(current)
    # Every field is sent, since update overwrites them all; the visibility range this app
    # does not manage is left as it is.
    try:
        answer = get_client().calendar_update(
            {"cal_id": calendar.cal_id, **body}, skip_public_range=1
        )
    except WeComError as error:
        held = None
        if _maybe_applied(error):
            held = _read_back(calendar, body, error, actor, source_ip, unknown=UPDATE_UNKNOWN)
        taken = _taken(held, body)
        if taken is None:
            # Not carried out, or not what WeCom holds when read back: nothing was saved.
            raise _refused(calendar.cal_id, body, error, actor, source_ip) from error
        return _store(calendar.cal_id, body, taken, actor=actor, source_ip=source_ip)
    return _store(calendar.cal_id, body, _unshared(answer), actor=actor, source_ip=source_ip)


def delete_calendar(calendar: Calendar, *, actor: Actor, source_ip: str | None = None) -> None:
    """Delete the calendar in WeCom, then here. Meetings that named it keep the cal_id; their
    form shows it as not a calendar of this app."""
    try:
        get_client().calendar_delete(calendar.cal_id)
    except WeComError as error:
        # A delete whose answer never came was carried out when WeCom no longer gives the
        # calendar; anything else deleted nothing.
        lost = _maybe_applied(error)
        if not lost or _read_back(calendar, None, error, actor, source_ip, unknown=DELETE_UNKNOWN):
            raise _refused(calendar.cal_id, None, error, actor, source_ip) from error
    _forget(calendar, actor=actor, source_ip=source_ip)


def refresh_calendars(*, actor: Actor, source_ip: str | None = None) -> Refreshed | None:
    """Read every calendar this app has from WeCom again and take in what changed there;
    None when there is no calendar to read."""
    cal_ids = list(Calendar.objects.values_list("cal_id", flat=True))
    if not cal_ids:
        return None
    try:
        found = get_client().calendar_get(cal_ids)
    except WeComError as error:
        # Nothing was tried on any calendar, so there is nothing to record.
        raise CalendarRefused(_reason(error)) from error
    changed = _take_in(found, actor=actor, source_ip=source_ip)
    missing = set(cal_ids) - {calendar.get("cal_id") for calendar in found}
    names = list(Calendar.objects.filter(cal_id__in=missing).values_list("summary", flat=True))
    return Refreshed(changed=changed, missing=names)


def _read(
    calendar: Calendar, body: dict[str, Any], actor: Actor, source_ip: str | None
) -> dict[str, Any]:
    """The calendar as WeCom holds it now; CalendarRefused when it cannot be read, since
    without it an overwrite could undo a change made there."""
    try:
        current = _held(calendar.cal_id)
    except WeComError as error:
        raise _refused(calendar.cal_id, body, error, actor, source_ip) from error
    if current is not None:
        return current
    missing = WeComError("oa/calendar/get", description="the calendar is not in the answer")
    raise _refused(
        calendar.cal_id,
        body,
        missing,
        actor,
        source_ip,
        reason=_(
            "WeCom no longer gives this app this calendar; it may have been deleted "
            "there. Nothing was saved; delete it here if it is gone."
        ),
    )


def _held(cal_id: str) -> dict[str, Any] | None:
    """The calendar as WeCom holds it now, None when WeCom does not give it (deleted, or not
    this app's); a WeComError when WeCom cannot be read."""
    for current in get_client().calendar_get([cal_id]):
        if current.get("cal_id") == cal_id:
            return current
    return None


def _read_back(
    calendar: Calendar,
    body: dict[str, Any] | None,
    lost: WeComError,
    actor: Actor,
    source_ip: str | None,
    *,
    unknown: StrOrPromise,
) -> dict[str, Any] | None:
    """After a write to `calendar` whose answer never came (`lost`, maybe applied): the
    calendar as WeCom holds it, since only WeCom's answer says whether the write was taken;
    None when WeCom does not give it. When WeCom cannot be read either, that is recorded and
    CalendarRefused raised with `unknown`, the words for a write that may have been taken
    or not."""
    try:
        return _held(calendar.cal_id)
    except WeComError as error:
        raise _refused(
            calendar.cal_id, body, lost, actor, source_ip, reason=unknown, unread=error
        ) from error


def _unshared(answer: dict[str, Any]) -> set[str]:
    """The members an add's or an update's answer (its fail_result) says WeCom could not
    share the calendar with."""
    failed = (answer.get("fail_result") or {}).get("shares") or []
    return {item.get("userid") for item in failed}


def _without(body: dict[str, Any], unshared: set[str]) -> dict[str, Any]:
    """`body` less the shares WeCom could not make: what WeCom holds when it took `body`."""
    return {**body, "shares": [s for s in body["shares"] if s["userid"] not in unshared]}


def _taken(held: dict[str, Any] | None, body: dict[str, Any]) -> set[str] | None:
    """When WeCom holds `body` (`held`, its answer), less some shares it could not make: the
    members of those (often none). None when it holds anything else."""
    if held is None:
        return None
    shared = {share.get("userid") for share in held.get("shares") or []}
    unshared = {share["userid"] for share in body["shares"] if share["userid"] not in shared}
    return unshared if normalised(held) == normalised(_without(body, unshared)) else None


def _refused(
    cal_id: str | None,
    body: dict[str, Any] | None,
    error: WeComError,
    actor: Actor,
    source_ip: str | None,
    reason: StrOrPromise | None = None,
    unread: WeComError | None = None,
) -> CalendarRefused:
    """Record the refusal and return it to raise: the reason (`reason`, else the error's own
    words) beside the field WeCom named. `unread`: what kept WeCom from being read back after
    `error` lost a write's answer, so that whether WeCom took the write is not known."""
    _record_refused(cal_id, body, error, actor=actor, source_ip=source_ip, unread=unread)
    # WeCom's field names are the calendar's, less the "calendar." some answers put first.
    named = (error.field or "").removeprefix("calendar.").split(".")[0].split("[")[0]
    return CalendarRefused(reason or _reason(error), field=named)


def _maybe_applied(error: WeComError) -> bool:
    """Whether WeCom may have carried out the write that failed with `error`: its answer
    never came (a read timeout, a dropped connection, a gateway's 5xx)."""
    return isinstance(error, TransientError) and error.maybe_applied


# The words for an update or a delete whose answer never came and that could not be read back.
UPDATE_UNKNOWN = _(
    "WeCom did not answer and could not be read back, so it is not known whether it took the "
    "change. The calendars page shows WeCom's values once it can be read: use Refresh from "
    "WeCom there."
)
DELETE_UNKNOWN = _(
    "WeCom did not answer and could not be read back, so it is not known whether it deleted "
    "the calendar. The calendars page shows whether WeCom still has it once it can be read: "
    "use Refresh from WeCom there."
)


def _add_lost(error: WeComError) -> StrOrPromise | None:
    """The warning for an add whose answer never came: WeCom may have made the calendar, and
    as it cannot list an app's calendars, sending the form again could make a second one."""
    if _maybe_applied(error):
        return _(
            "WeCom did not answer, but it may have added the calendar anyway. Sending the "
            "form again could make a second calendar: check in WeCom first whether it is "
            "there."
        )
    return None


def _reason(error: WeComError) -> str | Promise:
    # The errors' own words for a passing failure promise that the sync sends the change
    # again; a calendar is not queued, so the administrator is told to try again instead.
    if isinstance(error, SecretHold):
        # Not sent: says when WeCom refused the secret, and when it is asked again.
        return error.message
    if error.errcode is None or error.kind in ("transient", "token"):
        return _("WeCom could not be reached or is busy. Nothing was saved; try again shortly.")
    return error.message


# --- the records: what WeCom accepted, or that it refused, each with its event -------------


def _kept(calendar: dict[str, Any] | Calendar | None) -> dict[str, Any]:
    """The fields this app keeps of `calendar` (WeCom's shape, or a stored row); {} for none."""
    if calendar is None:
        return {}
    return normalised(calendar)


def _rows(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"field": name, "old": before.get(name), "new": after.get(name)}
        for name in FIELDS
        if before.get(name) != after.get(name)
    ]


def _detail(verb: str, cal_id: str, summary: str | None) -> str:
    return f"calendar {cal_id} ({summary}): {verb}"


@transaction.atomic
def _store(
    cal_id: str,
    body: dict[str, Any],
    unshared: set[str],
    *,
    actor: Actor,
    source_ip: str | None,
) -> Saved:
    """Record a calendar WeCom has just added or overwritten with `body`: the shares WeCom
    could not make (`unshared`, the members of those) are not in what it holds."""
    kept = _without(body, unshared)
    row = Calendar.objects.select_for_update().filter(cal_id=cal_id).first()
    created = row is None
    before = _kept(row)
    after = _kept(kept)
    row = row or Calendar(cal_id=cal_id)
    for name, value in after.items():
        setattr(row, name, value)
    row.save()
    audit.record(
        Action.CALENDAR,
        actor=actor,
        changes=_rows(before, after),
        source_ip=source_ip,
        detail=_detail("added" if created else "updated", cal_id, row.summary),
    )
    return Saved(row, sorted(userid for userid in unshared if userid))


@transaction.atomic
def _forget(calendar: Calendar, *, actor: Actor, source_ip: str | None) -> None:
    before = _kept(calendar)
    Calendar.objects.filter(pk=calendar.pk).delete()
    audit.record(
        Action.CALENDAR,
        actor=actor,
        changes=_rows(before, {}),
        source_ip=source_ip,
        detail=_detail("deleted", calendar.cal_id, calendar.summary),
    )


@transaction.atomic
def _take_in(
    calendar_list: list[dict[str, Any]], *, actor: Actor, source_ip: str | None
) -> list[Calendar]:
    """Take in what oa/calendar/get answered for calendars this app has: the ones that
    changed, each with its event. A calendar WeCom left out is kept here."""
    changed: list[Calendar] = []
    for calendar in calendar_list:
        row = Calendar.objects.select_for_update().filter(cal_id=calendar.get("cal_id")).first()
        if row is None:
            continue
        rows = _rows(_kept(row), _kept(calendar))
        if not rows:
            continue
        for name, value in _kept(calendar).items():
            setattr(row, name, value)
        row.save()
        audit.record(
            Action.CALENDAR,
            actor=actor,
            changes=rows,
            source_ip=source_ip,
            detail=_detail("refreshed from WeCom", row.cal_id, row.summary),
        )
        changed.append(row)
    return changed


@transaction.atomic
def _record_refused(
    cal_id: str | None,
    body: dict[str, Any] | None,
    error: WeComError,
    *,
    actor: Actor,
    source_ip: str | None,
    unread: WeComError | None = None,
) -> AuditEvent:
    """Nothing is stored; the record shows what was tried and why it failed, or, with
    `unread` (what kept WeCom from being read back), that whether it was taken is not known."""
    row = Calendar.objects.filter(cal_id=cal_id).first() if cal_id else None
    before = _kept(row)
    tried = _kept(body) if body else before
    # A refusal is WeCom's answer to what was sent; anything else (unreachable, a wrong
    # configuration) says nothing about the calendar itself.
    refused = error.kind == "permanent"
    if unread is None:
        verb = f"not saved: {error}"
    else:
        verb = f"not known whether WeCom took it: {error}; read back: {unread}"
    return audit.record(
        Action.CALENDAR,
        actor=actor,
        source_ip=source_ip,
        changes=_rows(before, tried) if body else [],
        outcome=AuditEvent.Outcome.REFUSED if refused else AuditEvent.Outcome.FAILED,
        detail=_detail(verb, cal_id or "(new)", tried.get("summary")),
    )
