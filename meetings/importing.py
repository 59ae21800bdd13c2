"""Bringing meetings in from WeCom. The update call only works on meetings this app created,
so the product must find them first: by ID, or by walking a person's meetings."""

from datetime import timedelta

from django.utils import timezone

from wecom.client import get_client

from .actions import pulls as pull_actions

# get_user_meetingid looks at most 180 days at a time; the client walks the windows.
DEFAULT_PAST = timedelta(days=7)
DEFAULT_FUTURE = timedelta(days=180)


def import_by_id(meetingid, *, actor=None, source_ip=None, client=None):
    """Fetch one meeting with get_info and store it. Returns (meeting, created)."""
    client = client or get_client()
    info = client.meeting_get_info(meetingid)
    info.setdefault("meetingid", meetingid)
    return pull_actions.import_meeting(info, actor=actor, source_ip=source_ip)


def import_by_code(meeting_code, *, actor=None, source_ip=None, client=None):
    """Fetch one meeting by its 会议号 with get_info and store it. Returns (meeting, created)."""
    client = client or get_client()
    info = client.meeting_get_info(meeting_code=meeting_code)
    return pull_actions.import_meeting(info, actor=actor, source_ip=source_ip)


def pull_user(userid, *, begin=None, end=None, actor=None, client=None):
    """Import every meeting of `userid` (as organiser or invitee) that starts between `begin`
    and `end`. Yields (meetingid, meeting, created) as it goes, so a long walk shows progress."""
    client = client or get_client()
    now = timezone.now()
    begin = begin or now - DEFAULT_PAST
    end = end or now + DEFAULT_FUTURE
    seen = set()
    for meetingid in client.meeting_iter_user_meetingids(
        userid, int(begin.timestamp()), int(end.timestamp())
    ):
        if meetingid in seen:
            continue
        seen.add(meetingid)
        meeting, created = import_by_id(meetingid, actor=actor, client=client)
        yield meetingid, meeting, created
