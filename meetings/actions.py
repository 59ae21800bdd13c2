"""Every write a person causes: one atomic function per action.

Views and commands call these and nothing else to change meetings, so each rule about a write
(version checks, what the sync must do next) lives in one place.
"""

from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from . import payloads, rules, sync, tasks
from .models import Meeting, Status, SyncState


class ActionError(Exception):
    """A write that must not happen, with the reason for the person who tried."""


class NotEditable(ActionError):
    pass


class StaleVersion(ActionError):
    """Someone saved the meeting after the form was loaded: nothing is overwritten."""

    def __init__(self, meeting, loaded_version):
        super().__init__(meeting, loaded_version)
        self.meeting = meeting
        self.loaded_version = loaded_version


@dataclass
class EditResult:
    meeting: Meeting
    changes: list = field(default_factory=list)

    @property
    def changed(self):
        return bool(self.changes)


def _locked(pk):
    # Only the meeting's row: PostgreSQL cannot lock the nullable side of the outer joins
    # that select_related makes for settings and reminders.
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("settings", "reminders")
        .prefetch_related("participants")
        .get(pk=pk)
    )


@transaction.atomic
def edit_meeting(meeting, body, *, actor, loaded_version):
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
    rows = payloads.changes(payloads.desired_body(meeting), body)
    if not rows:
        return EditResult(meeting)
    payloads.apply_body(meeting, body)
    Meeting.objects.filter(pk=meeting.pk).update(
        version=F("version") + 1, sync_state=SyncState.PENDING, sync_tries=0,
        next_attempt_at=None,
    )
    # After the commit, so the worker reads the new version; a broker that is down leaves the
    # meeting pending for the sweep and the save stands.
    transaction.on_commit(partial(tasks.enqueue_after_save, meeting.pk))
    meeting.refresh_from_db()
    return EditResult(meeting, rows)


@transaction.atomic
def retry_sync(meeting, *, actor):
    """Send a meeting whose sync stopped (failed, or a conflict to check again) once more,
    with a fresh count of tries."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.sync_state not in (SyncState.FAILED, SyncState.CONFLICT):
        raise ActionError(_("Only a meeting whose sync has stopped can be retried."))
    Meeting.objects.filter(pk=meeting.pk).update(
        sync_state=SyncState.PENDING, sync_tries=0, next_attempt_at=None, sync_error="",
        sync_error_field="", sync_errcode=None,
    )
    transaction.on_commit(partial(tasks.enqueue, meeting.pk))
    meeting.refresh_from_db()
    return meeting


CONFLICT_CHOICES = ("mine", "wecom")


@transaction.atomic
def resolve_conflict(meeting, choices, *, actor):
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
    base = sync.leaves(meeting.synced_state or {})
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
        desired = sync.leaves(payloads.desired_body(meeting))
        desired.update(taken)
        body = rules.prune(sync.body_from_leaves(desired))
        payloads.apply_body(meeting, sync.groups_of(body, taken))
    remaining = {name: v for name, v in meeting.conflict.items() if name not in choices}
    Meeting.objects.filter(pk=meeting.pk).update(
        synced_state=rules.prune(sync.body_from_leaves(base)),
        conflict=remaining,
        sync_state=SyncState.CONFLICT if remaining else SyncState.PENDING,
        version=F("version") + 1 if taken else F("version"),
        sync_tries=0,
        next_attempt_at=None,
    )
    if not remaining:
        transaction.on_commit(partial(tasks.enqueue, meeting.pk))
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def import_meeting(info, *, actor=None):
    """Bring a meeting in from a get_info answer, or refresh one this app already has.

    A meeting with an edit still waiting for WeCom is left to the sync to reconcile, so an
    import never throws away what an administrator saved."""
    body = rules.prune(payloads.body_from_info(info))
    meetingid = info["meetingid"]
    meeting = Meeting.objects.select_for_update().filter(meetingid=meetingid).first()
    created = meeting is None
    if created:
        meeting = Meeting(meetingid=meetingid, version=0)
    elif meeting.version > meeting.synced_version:
        return meeting, False
    meeting.meeting_code = info.get("meeting_code", meeting.meeting_code) or ""
    meeting.meeting_link = info.get("meeting_link", meeting.meeting_link) or ""
    meeting.admin_userid = info.get("admin_userid", meeting.admin_userid) or ""
    meeting.status = int(info.get("status") or Status.SCHEDULED)
    payloads.apply_body(meeting, body)
    meeting.version = meeting.synced_version = meeting.version + 1
    # What WeCom confirmed, read back through our columns: a field get_info left out stands
    # at WeCom's default on both sides, so no later diff sends a value nobody chose.
    meeting.synced_state = payloads.desired_body(meeting)
    meeting.sync_state = SyncState.SYNCED
    meeting.save()
    return meeting, created
