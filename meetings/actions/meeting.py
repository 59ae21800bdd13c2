"""A meeting's writes by an administrator: edit, create, cancel, retry, settle a conflict.

Each is one atomic function that writes the meeting's new desired state and its audit event
and leaves the rest to the sync (the worker carries the decision to WeCom and appends the
event's settlement once it has read WeCom back, see meetings.sync.endings). A write refused
with ActionError leaves an event saying what was tried.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from .. import audit, payloads, people, rules, settle, tasks
from ..models import AuditEvent, Meeting, Status, SyncState
from ..sync import endings
from ..sync.merge import body_from_leaves, groups_of, leaf_of, leaves
from .errors import ActionError, NotEditable, StaleVersion

if TYPE_CHECKING:
    from . import Actor

Fn = TypeVar("Fn", bound=Callable[..., Any])

Action = AuditEvent.Action
# An action that WeCom must still carry out is recorded as pending; the worker appends its
# settlement (done, failed or conflict) once it has read WeCom back (see sync.endings).
PENDING = AuditEvent.Outcome.PENDING


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
                        action,
                        actor=actor,
                        meeting=Meeting.objects.filter(pk=meeting.pk).first(),
                        source_ip=source_ip,
                        outcome=AuditEvent.Outcome.REFUSED,
                        detail=_refusal_words(refusal),
                    )
                raise

        return cast(Fn, wrapper)

    return decorate


def _refusal_words(refusal: ActionError) -> str:
    if isinstance(refusal, StaleVersion):
        return (
            f"saved by someone else since version {refusal.loaded_version} was loaded "
            f"(now {refusal.meeting.version})"
        )
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
        Action.EDIT,
        actor=actor,
        meeting=meeting,
        changes=audit.change_rows(rows),
        source_ip=source_ip,
        outcome=PENDING,
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
        admin_userid=admin_userid,
        status=Status.SCHEDULED,
        version=1,
        synced_version=0,
        sync_state=SyncState.PENDING,
    )
    payloads.apply_body(meeting, body)
    people.note_seen([admin_userid, *meeting.participants.values_list("userid", flat=True)])
    transaction.on_commit(partial(tasks.enqueue_after_save, meeting.pk))
    meeting.refresh_from_db()
    rows = [("admin_userid", None, admin_userid)]
    rows += payloads.changes({}, payloads.desired_body(meeting))
    audit.record(
        Action.CREATE,
        actor=actor,
        meeting=meeting,
        changes=audit.change_rows(rows),
        source_ip=source_ip,
        outcome=PENDING,
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
            raise ActionError(
                _(
                    "WeCom no longer lists this occurrence (the series may have moved). "
                    "Choose it again from the occurrences listed now."
                )
            )
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
        Action.CANCEL,
        actor=actor,
        meeting=meeting,
        changes=rows,
        source_ip=source_ip,
        detail=detail,
        outcome=PENDING,
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
        Action.RETRY,
        actor=actor,
        meeting=meeting,
        source_ip=source_ip,
        detail=stopped,
        outcome=PENDING,
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
            **audit.change_rows(
                [(name, meeting.conflict[name]["mine"], meeting.conflict[name][choice])]
            )[0],
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
        meeting.pk,
        synced_state=rules.prune(body_from_leaves(base)),
        remaining=remaining,
        version_up=bool(taken),
    )
    if not remaining:
        transaction.on_commit(partial(tasks.enqueue, meeting.pk))
    meeting.refresh_from_db()
    resolution = audit.record(
        Action.RESOLVE_CONFLICT,
        actor=actor,
        meeting=meeting,
        changes=settled,
        source_ip=source_ip,
        detail=audit.with_fields(audit.STILL_CONFLICTED, sorted(remaining)) if remaining else "",
        outcome=AuditEvent.Outcome.OK if remaining else PENDING,
    )
    if kept := {name for name, choice in choices.items() if choice == "wecom"}:
        _give_way(resolution, kept)
    return meeting


def _give_way(resolution: AuditEvent, kept_now: set[str]) -> None:
    """Settle the actions that met the conflict as far as `resolution` decided them, by
    keeping WeCom's value of `kept_now`: an action all of whose changes gave way to WeCom
    (in this or an earlier settling) is overridden, and the sync will never call it done;
    one with changes still to send stays pending, the record naming what it lost."""
    meeting = resolution.meeting
    resolutions = [
        (pk, {row["field"] for row in changes if row.get("choice") == "wecom"})
        for pk, changes in AuditEvent.objects.filter(
            meeting=meeting, action=Action.RESOLVE_CONFLICT
        ).values_list("pk", "changes")
    ]
    waiting = AuditEvent.objects.with_outcome().filter(
        meeting=meeting,
        action__in=audit.CAUSES_SYNC,
        effective_outcome__in=(AuditEvent.Outcome.CONFLICT, PENDING),
        pk__lt=resolution.pk,
    )
    settlements = []
    for event in waiting:
        fields = {leaf_of(row["field"]) for row in event.changes}
        if not fields & kept_now:
            continue
        kept = set().union(*(names for pk, names in resolutions if pk > event.pk))
        settlements.append(
            audit.build(
                Action.SYNC_RESULT,
                actor=resolution.actor,
                meeting=meeting,
                outcome=AuditEvent.Outcome.OVERRIDDEN if fields <= kept else PENDING,
                detail=audit.with_fields(audit.KEPT_THEIRS, sorted(fields & kept)),
                source_ip=resolution.source_ip,
                settles=event,
            )
        )
    audit.record_all(settlements)
