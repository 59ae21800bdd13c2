"""Every write a person causes: one atomic function per action.

Views and commands call these and nothing else to change meetings, so each rule about a write
(version checks, what the sync must do next) lives in one place, and so does its audit event:
each action writes it in its own transaction (see meetings.audit). `actor` is the person
(None for a command, recorded as "system") and `source_ip` the address their request came
from. An action refused with ActionError still leaves an event saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import audit, payloads, people, rules, settle, tasks
from .models import AuditEvent, Calendar, Meeting, Status, SyncState
from .sync import endings
from .sync.merge import body_from_leaves, groups_of, leaves
from .sync.plan import occurrences

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser, User

    # The person acting: None for a command, recorded as "system".
    Actor = AbstractBaseUser | AnonymousUser | None

Fn = TypeVar("Fn", bound=Callable[..., Any])

Action = AuditEvent.Action
logger = logging.getLogger("meetings.callbacks")
# An action that WeCom must still carry out is recorded as pending; the worker appends its
# settlement (done, failed or conflict) once it has read WeCom back (see sync.endings).
PENDING = AuditEvent.Outcome.PENDING


class ActionError(Exception):
    """A write that must not happen, with the reason for the person who tried."""


class NotEditable(ActionError):
    pass


class StaleVersion(ActionError):
    """Someone saved the meeting after the form was loaded: nothing is overwritten."""

    def __init__(self, meeting: Meeting, loaded_version: int) -> None:
        super().__init__(meeting, loaded_version)
        self.meeting = meeting
        self.loaded_version = loaded_version


def _refusal_recorded(action: str) -> Callable[[Fn], Fn]:
    """Record an action refused with ActionError, after its own transaction rolled back, and
    raise the refusal on: the record shows what was tried as well as what was done."""

    def decorate(function: Fn) -> Fn:
        @wraps(function)
        def wrapper(
            meeting: Meeting,
            *args: Any,
            actor: Actor = None,
            source_ip: str | None = None,
            **kwargs: Any,
        ) -> Any:
            try:
                return function(meeting, *args, actor=actor, source_ip=source_ip, **kwargs)
            except ActionError as refusal:
                with transaction.atomic():
                    audit.record(
                        action, actor=actor, meeting=Meeting.objects.filter(pk=meeting.pk).first(),
                        source_ip=source_ip, outcome=AuditEvent.Outcome.REFUSED,
                        detail=_refusal_words(refusal),
                    )
                raise

        return cast(Fn, wrapper)

    return decorate


def _refusal_words(refusal: ActionError) -> str:
    if isinstance(refusal, StaleVersion):
        return (f"saved by someone else since version {refusal.loaded_version} was loaded "
                f"(now {refusal.meeting.version})")
    return str(refusal)


@dataclass
class EditResult:
    meeting: Meeting
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _locked(pk: int) -> Meeting:
    # Only the meeting's row: PostgreSQL cannot lock the nullable side of the outer joins
    # that select_related makes for settings and reminders.
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("settings", "reminders")
        .prefetch_related("participants")
        .get(pk=pk)
    )


def _decided(pk: int) -> None:
    """A new desired state: its own version, on its way to WeCom with a fresh count of tries."""
    endings.waiting(pk, version=F("version") + 1, **settle.on_save())
    # After the commit, so the worker reads the new version; a broker that is down leaves the
    # meeting pending for the sweep and the decision stands.
    transaction.on_commit(partial(tasks.enqueue_after_save, pk))


@_refusal_recorded(Action.EDIT)
@transaction.atomic
def edit_meeting(
    meeting: Meeting,
    body: dict[str, Any],
    *,
    actor: Actor,
    loaded_version: int,
    source_ip: str | None = None,
) -> EditResult:
    """Save an administrator's edit as the meeting's new desired state.

    `body` is the whole edited meeting in update-body shape, already checked by the rules.
    The version the form was loaded with must still be the current one; an unchanged form
    writes nothing."""
    meeting = _locked(meeting.pk)
    if not meeting.is_editable:
        raise NotEditable(meeting.get_status_display())
    if meeting.version != loaded_version:
        raise StaleVersion(meeting, loaded_version)
    body = rules.prune(body)
    # Changed as WeCom would see it: the organiser left out of the invitees, or the same
    # people in another order, is no change (payloads.same, as the sync's merge asks it).
    rows = payloads.changes(payloads.desired_body(meeting), body, meeting.admin_userid)
    if not rows:
        return EditResult(meeting)
    payloads.apply_body(meeting, body)
    _decided(meeting.pk)
    meeting.refresh_from_db()
    audit.record(
        Action.EDIT, actor=actor, meeting=meeting, changes=audit.change_rows(rows),
        source_ip=source_ip, outcome=PENDING,
    )
    return EditResult(meeting, rows)


@transaction.atomic
def create_meeting(
    body: dict[str, Any], *, admin_userid: str, actor: Actor, source_ip: str | None = None
) -> Meeting:
    """Save a new meeting, to be created in WeCom by the worker (meeting/create).

    `body` is the whole meeting in update-body shape, already checked by the rules, its
    invitees including `admin_userid`. Until WeCom answers, the meeting has no meetingid."""
    body = rules.prune(body)
    meeting = Meeting(
        admin_userid=admin_userid, status=Status.SCHEDULED, version=1, synced_version=0,
        sync_state=SyncState.PENDING,
    )
    payloads.apply_body(meeting, body)
    people.note_seen([admin_userid, *meeting.participants.values_list("userid", flat=True)])
    transaction.on_commit(partial(tasks.enqueue_after_save, meeting.pk))
    meeting.refresh_from_db()
    rows = [("admin_userid", None, admin_userid)]
    rows += payloads.changes({}, payloads.desired_body(meeting))
    audit.record(
        Action.CREATE, actor=actor, meeting=meeting, changes=audit.change_rows(rows),
        source_ip=source_ip, outcome=PENDING,
    )
    return meeting


@_refusal_recorded(Action.CANCEL)
@transaction.atomic
def cancel_meeting(
    meeting: Meeting,
    *,
    actor: Actor,
    sub_meetingid: str | None = None,
    source_ip: str | None = None,
) -> Meeting:
    """Decide to cancel the whole meeting, or with `sub_meetingid` one occurrence of a
    recurring one (as get_info listed it). The worker carries it out like an edit; from now
    on the meeting (or that occurrence) can no longer be changed here."""
    meeting = _locked(meeting.pk)
    if not meeting.is_editable:
        raise NotEditable(meeting.get_status_display())
    if sub_meetingid is None:
        Meeting.objects.filter(pk=meeting.pk).update(cancel_requested=True)
        rows = [{"field": "status", "old": Status.SCHEDULED.value, "new": Status.CANCELLED.value}]
        detail = "whole meeting"
    else:
        occurrence = meeting.occurrence(sub_meetingid)
        if occurrence is None:
            # Chosen from a list WeCom has renamed since (the series moved): the page shows
            # the current one.
            raise ActionError(_(
                "WeCom no longer lists this occurrence (the series may have moved). "
                "Choose it again from the occurrences listed now."
            ))
        if not meeting.can_cancel(occurrence):
            raise ActionError(_("Only an occurrence still to come can be cancelled."))
        Meeting.objects.filter(pk=meeting.pk).update(
            cancel_sub_meetingids=[*meeting.cancel_sub_meetingids, sub_meetingid]
        )
        rows = [{"field": "occurrence", "old": str(occurrence["start"]), "new": "cancelled"}]
        detail = f"occurrence {sub_meetingid}"
    _decided(meeting.pk)
    meeting.refresh_from_db()
    audit.record(
        Action.CANCEL, actor=actor, meeting=meeting, changes=rows, source_ip=source_ip,
        detail=detail, outcome=PENDING,
    )
    return meeting


@_refusal_recorded(Action.RETRY)
@transaction.atomic
def retry_sync(meeting: Meeting, *, actor: Actor, source_ip: str | None = None) -> Meeting:
    """Send a meeting whose sync stopped (failed, or a conflict to check again) once more,
    with a fresh count of tries; or one waiting for its next try, now rather than then."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.sync_state not in (SyncState.FAILED, SyncState.CONFLICT, SyncState.RETRYING):
        raise ActionError(_("Only a meeting whose sync has stopped can be retried."))
    stopped = f"{meeting.sync_state}: {meeting.sync_error}".rstrip(": ")
    endings.waiting(meeting.pk)
    transaction.on_commit(partial(tasks.enqueue, meeting.pk))
    meeting.refresh_from_db()
    audit.record(
        Action.RETRY, actor=actor, meeting=meeting, source_ip=source_ip,
        detail=stopped, outcome=PENDING,
    )
    return meeting


CONFLICT_CHOICES = ("mine", "wecom")


@_refusal_recorded(Action.RESOLVE_CONFLICT)
@transaction.atomic
def resolve_conflict(
    meeting: Meeting, choices: Mapping[str, object], *, actor: Actor, source_ip: str | None = None
) -> Meeting:
    """Settle conflicting fields: {field: "mine" | "wecom"}. WeCom's value of each settled
    field becomes the confirmed base, so the next sync sends "mine" as the only change, or
    finds nothing to send where WeCom's value was taken. Fields left unsettled stay in
    conflict; once none is left, the meeting syncs."""
    meeting = _locked(meeting.pk)
    if meeting.sync_state != SyncState.CONFLICT or not meeting.conflict:
        raise ActionError(_("This meeting has no conflict to settle."))
    unknown = [name for name in choices if name not in meeting.conflict]
    if unknown or any(choice not in CONFLICT_CHOICES for choice in choices.values()):
        raise ActionError(_("The choice does not match the conflicting fields."))
    settled = [
        {
            **audit.change_rows([(name, meeting.conflict[name]["mine"],
                                  meeting.conflict[name][choice])])[0],
            "choice": choice,
        }
        for name, choice in choices.items()
    ]
    base = leaves(meeting.synced_state or {})
    taken = {}
    for name, choice in choices.items():
        wecom = meeting.conflict[name]["wecom"]
        if wecom is None:
            base.pop(name, None)
        else:
            base[name] = wecom
        if choice == "wecom" and wecom is not None:
            taken[name] = wecom
    if taken:
        desired = leaves(payloads.desired_body(meeting))
        desired.update(taken)
        body = rules.prune(body_from_leaves(desired))
        payloads.apply_body(meeting, groups_of(body, taken))
    remaining = {name: v for name, v in meeting.conflict.items() if name not in choices}
    endings.settled_conflict(
        meeting.pk, synced_state=rules.prune(body_from_leaves(base)), remaining=remaining,
        version_up=bool(taken),
    )
    if not remaining:
        transaction.on_commit(partial(tasks.enqueue, meeting.pk))
    meeting.refresh_from_db()
    audit.record(
        Action.RESOLVE_CONFLICT, actor=actor, meeting=meeting, changes=settled,
        source_ip=source_ip,
        detail=f"still in conflict: {', '.join(sorted(remaining))}" if remaining else "",
        outcome=AuditEvent.Outcome.OK if remaining else PENDING,
    )
    return meeting


@transaction.atomic
def import_meeting(
    info: dict[str, Any], *, actor: Actor = None, source_ip: str | None = None
) -> tuple[Meeting, bool]:
    """Bring a meeting in from a get_info answer, or refresh one this app already has.

    A meeting with an edit still waiting for WeCom is left to the sync to reconcile, so an
    import never throws away what an administrator saved."""
    body = rules.prune(payloads.body_from_info(info))
    meetingid = info["meetingid"]
    meeting = Meeting.objects.select_for_update().filter(meetingid=meetingid).first()
    created = meeting is None
    if meeting is None:
        meeting = Meeting(meetingid=meetingid, version=0)
        before, status_before = {}, None
    elif meeting.version > meeting.synced_version:
        return meeting, False
    else:
        before, status_before = payloads.desired_body(meeting), meeting.status
    meeting.meeting_code = info.get("meeting_code", meeting.meeting_code) or ""
    meeting.meeting_link = info.get("meeting_link", meeting.meeting_link) or ""
    meeting.admin_userid = info.get("admin_userid", meeting.admin_userid) or ""
    meeting.status = int(info.get("status") or Status.SCHEDULED)
    # The occurrences as WeCom lists them now, so that one can be cancelled at once.
    listed = occurrences(info)
    if listed is not None:
        meeting.sub_meetings = listed
    payloads.apply_body(meeting, body)
    meeting.version = meeting.synced_version = meeting.version + 1
    # What WeCom confirmed, read back through our columns: a field get_info left out stands
    # at WeCom's default on both sides, so no later diff sends a value nobody chose.
    meeting.synced_state = payloads.desired_body(meeting)
    meeting.sync_state = SyncState.SYNCED
    meeting.save()
    # Everyone the meeting names joins the directory, nameless until an export names them.
    people.note_seen(
        [meeting.admin_userid, *meeting.participants.values_list("userid", flat=True)]
    )
    rows = payloads.changes(before, meeting.synced_state)
    if status_before != meeting.status:
        rows.insert(0, ("status", status_before, meeting.status))
    if created or rows:
        audit.record(
            Action.IMPORT, actor=actor, meeting=meeting, changes=audit.change_rows(rows),
            source_ip=source_ip, detail="new" if created else "refreshed from WeCom",
        )
    return meeting, created


@transaction.atomic
def request_pull(meetingid: str, change: str = "") -> int | None:
    """WeCom says the meeting changed there (a callback): have the sync read it soon.
    Returns the meeting's pk, or None when nothing was asked (unknown meeting, one waiting
    for a person, one no longer to come). The request is no new desired version, so an edit
    form open meanwhile stays valid unless the read finds something new."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("reminders")
        .filter(meetingid=meetingid)
        .first()
    )
    if meeting is None:
        # Meetings made in WeCom by others reach us too; an import brings them in.
        logger.info("WeCom callback: %s for unknown meeting %s ignored", change, meetingid)
        return None
    if meeting.sync_state in (SyncState.FAILED, SyncState.CONFLICT):
        # A meeting waiting for a person keeps waiting: their Retry or choice reads WeCom
        # anew anyway.
        logger.info("WeCom callback: %s for meeting %s left to a person (%s)",
                    change, meetingid, meeting.sync_state)
        return None
    if not _still_to_come(meeting):
        # The sync only works on meetings still to come; on others it would record a
        # failure for a change nobody made here.
        logger.info("WeCom callback: %s for meeting %s ignored, no longer scheduled here",
                    change, meetingid)
        return None
    endings.pull_requested(meeting.pk)
    transaction.on_commit(partial(tasks.enqueue, meeting.pk))
    logger.info("WeCom callback: %s for meeting %s, sync queued", change, meetingid)
    return meeting.pk


def _still_to_come(meeting: Meeting) -> bool:
    if meeting.status != Status.SCHEDULED:
        return False
    reminders = getattr(meeting, "reminders", None)
    if reminders is not None and reminders.is_repeat:
        return True
    return meeting.start > timezone.now()


# --- accounts: who came in, who failed to, and who may do what ---------------------------


@transaction.atomic
def record_login(user: Actor, *, source_ip: str | None = None) -> AuditEvent:
    return audit.record(Action.LOGIN, actor=user, source_ip=source_ip)


@transaction.atomic
def record_logout(user: Actor, *, source_ip: str | None = None) -> AuditEvent:
    return audit.record(Action.LOGOUT, actor=user, source_ip=source_ip)


@transaction.atomic
def record_login_failed(username: str | None, *, source_ip: str | None = None) -> AuditEvent:
    """A refused log-in: the name that was tried (which may belong to nobody), never the
    password."""
    return audit.record(
        Action.LOGIN_FAILED, username=username or "?", source_ip=source_ip,
        outcome=AuditEvent.Outcome.FAILED,
    )


@transaction.atomic
def record_account_change(detail: str, rows: list[dict[str, Any]]) -> AuditEvent:
    """Who may do what changed (see meetings.signals, which calls this for every path): the
    rows say what, before and after; the actor is whoever the surrounding `audit.acting`
    block names."""
    actor, source_ip = audit.current_actor()
    return audit.record(
        Action.ROLE_CHANGE, actor=actor, changes=rows, source_ip=source_ip, detail=detail,
    )


ROLES = {"administrator": "会议管理员", "auditor": "审计员"}


@transaction.atomic
def grant_role(
    user: User,
    role: str,
    *,
    actor: Actor = None,
    source_ip: str | None = None,
    remove: bool = False,
) -> User:
    """Give (or with `remove` take) a role: "administrator", "auditor" (or their group
    names) or "superuser". Auditors are staff, so that the admin lets them in; the flags
    and groups changed are recorded as one event each (meetings.signals)."""
    from django.contrib.auth.models import Group

    group_name = ROLES.get(role, role)
    with audit.acting(actor, source_ip):
        if role == "superuser":
            flags = {"is_superuser": not remove, "is_staff": not remove or user.is_staff}
        else:
            try:
                group = Group.objects.get(name=group_name)
            except Group.DoesNotExist:
                raise ActionError(_("There is no role called %(role)s.") % {"role": role}) from None
            if remove:
                user.groups.remove(group)
            else:
                user.groups.add(group)
            staff = group_name == ROLES["auditor"]
            flags = {"is_staff": not remove} if staff else {}
        changed = [
            (name, getattr(user, name), value)
            for name, value in flags.items() if getattr(user, name) != value
        ]
        if changed:
            # Recorded by meetings.signals, as every flag change is.
            for name, _old, value in changed:
                setattr(user, name, value)
            user.save(update_fields=[name for name, _old, _new in changed])
    return user


# --- calendars: the view has WeCom's answer first; these record it -----------------------
# A calendar is written to WeCom in the request itself (outside any transaction, since the
# token cache may be this database), so each of these stores what WeCom accepted, or that it
# refused, together with the event.

CALENDAR_FIELDS = ("summary", "color", "description", "admins", "shares")
CALENDAR_DEFAULTS = {"description": "", "admins": [], "shares": []}


def _calendar_fields(calendar: Calendar | None) -> dict[str, Any]:
    if calendar is None:
        return {}
    return {name: getattr(calendar, name) for name in CALENDAR_FIELDS}


def _calendar_rows(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"field": name, "old": before.get(name), "new": after.get(name)}
        for name in CALENDAR_FIELDS
        if before.get(name) != after.get(name)
    ]


def _calendar_detail(verb: str, cal_id: str, summary: str | None) -> str:
    return f"calendar {cal_id} ({summary}): {verb}"


def _kept(calendar: dict[str, Any]) -> dict[str, Any]:
    """The fields this app keeps, as WeCom has them: a field WeCom leaves out is empty."""
    return {
        name: calendar.get(name, CALENDAR_DEFAULTS.get(name, "")) for name in CALENDAR_FIELDS
    }


@transaction.atomic
def save_calendar(
    cal_id: str, calendar: dict[str, Any], *, actor: Actor, source_ip: str | None = None
) -> Calendar:
    """Record a calendar WeCom has just added or overwritten: `calendar` is what it now holds
    (the body sent, without the shares it could not make)."""
    row = Calendar.objects.select_for_update().filter(cal_id=cal_id).first()
    created = row is None
    before = _calendar_fields(row)
    after = _kept(calendar)
    row = row or Calendar(cal_id=cal_id)
    for name, value in after.items():
        setattr(row, name, value)
    row.save()
    audit.record(
        Action.CALENDAR, actor=actor, changes=_calendar_rows(before, after), source_ip=source_ip,
        detail=_calendar_detail("added" if created else "updated", cal_id, row.summary),
    )
    return row


@transaction.atomic
def delete_calendar(calendar: Calendar, *, actor: Actor, source_ip: str | None = None) -> None:
    """Forget a calendar WeCom has just deleted. Meetings that named it keep the cal_id; their
    form shows it as not a calendar of this app."""
    before = _calendar_fields(calendar)
    Calendar.objects.filter(pk=calendar.pk).delete()
    audit.record(
        Action.CALENDAR, actor=actor, changes=_calendar_rows(before, {}), source_ip=source_ip,
        detail=_calendar_detail("deleted", calendar.cal_id, calendar.summary),
    )


@transaction.atomic
def refresh_calendars(
    calendar_list: list[dict[str, Any]], *, actor: Actor, source_ip: str | None = None
) -> list[Calendar]:
    """Take in what oa/calendar/get answered for calendars this app has: the ones that
    changed, each with its event. A calendar WeCom left out is kept here (it may be a
    passing fault); the caller says which those are."""
    changed = []
    for calendar in calendar_list:
        row = Calendar.objects.select_for_update().filter(cal_id=calendar.get("cal_id")).first()
        if row is None:
            continue
        before, after = _calendar_fields(row), _kept(calendar)
        rows = _calendar_rows(before, after)
        if not rows:
            continue
        for name, value in after.items():
            setattr(row, name, value)
        row.save()
        audit.record(
            Action.CALENDAR, actor=actor, changes=rows, source_ip=source_ip,
            detail=_calendar_detail("refreshed from WeCom", row.cal_id, row.summary),
        )
        changed.append(row)
    return changed


@transaction.atomic
def record_calendar_refused(
    cal_id: str | None,
    calendar: dict[str, Any] | None,
    error: Exception,
    *,
    actor: Actor,
    source_ip: str | None = None,
) -> AuditEvent:
    """WeCom refused (or could not be asked about) a calendar write: nothing is stored, and
    the record shows what was tried and why it failed."""
    row = Calendar.objects.filter(cal_id=cal_id).first() if cal_id else None
    before = _calendar_fields(row)
    tried = _kept(calendar) if calendar else before
    # A refusal is WeCom's answer to what was sent; anything else (unreachable, a wrong
    # configuration) says nothing about the calendar itself.
    refused = getattr(error, "kind", "") == "permanent"
    return audit.record(
        Action.CALENDAR, actor=actor, source_ip=source_ip,
        changes=_calendar_rows(before, tried) if calendar else [],
        outcome=AuditEvent.Outcome.REFUSED if refused else AuditEvent.Outcome.FAILED,
        detail=_calendar_detail(f"not saved: {error}", cal_id or "(new)", tried.get("summary")),
    )
