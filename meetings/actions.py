"""Every write a person causes: one atomic function per action.

Views and commands call these and nothing else to change meetings, so each rule about a write
(version checks, what the sync must do next) lives in one place.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from . import payloads, rules
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
    return (
        Meeting.objects.select_for_update()
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
        version=F("version") + 1, sync_state=SyncState.PENDING, sync_tries=0
    )
    meeting.refresh_from_db()
    return EditResult(meeting, rows)


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
