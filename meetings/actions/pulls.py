"""Taking in what WeCom holds: a meeting read with get_info (an import, or its refresh), and a
callback's word that a meeting changed there (a pull the sync carries out).

Neither is a person's decision about the meeting, so neither makes a new desired version: an
import records WeCom's state as confirmed, a pull only asks the sync to read WeCom soon.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .. import audit, payloads, people, rules, tasks
from ..models import AuditEvent, Meeting, Status, SyncState
from ..sync import endings
from ..sync.plan import occurrences

if TYPE_CHECKING:
    from . import Actor

Action = AuditEvent.Action
logger = logging.getLogger("meetings.callbacks")


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
    # What WeCom confirmed, read back through our columns: a field get_info left out stands
    # at WeCom's default on both sides, so no later diff sends a value nobody chose.
    meeting.synced_state = payloads.desired_body(meeting)
    rows = payloads.changes(before, meeting.synced_state)
    if status_before != meeting.status:
        rows.insert(0, ("status", status_before, meeting.status))
    # A refresh that finds nothing new is no new version: an edit form open meanwhile stays
    # valid, and every version keeps an event with its changes (audit.values_at).
    if created or rows:
        meeting.version = meeting.synced_version = meeting.version + 1
    meeting.sync_state = SyncState.SYNCED
    meeting.save()
    # Everyone the meeting names joins the directory, nameless until an export names them.
    people.note_seen([meeting.admin_userid, *meeting.participants.values_list("userid", flat=True)])
    if created or rows:
        audit.record(
            Action.IMPORT,
            actor=actor,
            meeting=meeting,
            changes=audit.change_rows(rows),
            source_ip=source_ip,
            detail="new" if created else "refreshed from WeCom",
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
        logger.info(
            "WeCom callback: %s for meeting %s left to a person (%s)",
            change,
            meetingid,
            meeting.sync_state,
        )
        return None
    if not _still_to_come(meeting):
        # The sync only works on meetings still to come; on others it would record a
        # failure for a change nobody made here.
        logger.info(
            "WeCom callback: %s for meeting %s ignored, no longer scheduled here", change, meetingid
        )
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
