"""Creating a meeting in WeCom, exactly once.

A create is not idempotent there, so a create whose answer was lost (its attempt still
unanswered) is looked for before any new one is sent, and WeCom's own duplicate answers lead
to the same search: `get_user_meetingid` for the organiser around the start, then a match on
title and start among the meetings this app does not know yet.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from wecom.client import WeComClient
from wecom.errors import WeComError

from .. import payloads, problems, rules
from ..models import Meeting, Status
from .attempts import Attempt, CallFailed, Outcome, unanswered_creates
from .context import Run
from .endings import BUSY, Result
from .policy import max_tries

# meeting/create's two duplicate answers: the same meeting is being created right now
# (WeCom says to wait five minutes), or it has been created already.
CREATE_IN_FLIGHT = 400301
DUPLICATE_CREATED = 400302
# How far past a lost create's start the organiser's meetings are listed when looking for it.
USER_MEETINGIDS_SPAN = 3600


@dataclass
class Created:
    """WeCom gave the meeting its ID; what the create asked for is to be read back."""

    intended: dict[str, Any]
    attempt: Attempt


def create(run: Run) -> Result | Created:
    """A Result when the run ends here, Created when WeCom holds a new meeting to read back.
    A failed call raises CallFailed for the run to decide on."""
    meeting = run.meeting
    lost = unanswered_creates(meeting.pk)
    found = find_created(run, lost) if lost else None
    if found:
        return adopt(run, *found)
    if meeting.cancel_requested:
        # WeCom never had it: the cancellation is this app's record alone.
        run.lease.keep(status=Status.CANCELLED)
        return run.ending.synced(meeting.synced_state)
    if meeting.start <= timezone.now():
        return run.ending.failed(
            problems.Problem("create_too_late"), field_name="meeting_start", counted=False
        )
    if not run.lease.extend():
        return Result(BUSY, detail="lease lost")
    body, whole = create_body(meeting)
    attempt = run.calls.call(lambda wecom: wecom.meeting_create(body))
    if attempt.error is not None:
        if attempt.error.errcode == DUPLICATE_CREATED:
            return created_elsewhere(run, [body, *lost], attempt)
        if attempt.error.errcode == CREATE_IN_FLIGHT:
            # Answered, but a create of the same meeting is under way and may yet succeed:
            # left unanswered, so that the next run looks for it first.
            attempt.mark(Outcome.RETRY)
            return wait_for_create(run, attempt.error)
        raise CallFailed(attempt)
    answer = attempt.answer
    if not run.ending.took_id(
        meetingid=answer["meetingid"],
        meeting_code=answer.get("meeting_code") or "",
        meeting_link=answer.get("meeting_link") or "",
        excess_users=answer.get("excess_users") or [],
    ):
        return run.ending.again()
    meeting.meetingid = run.calls.meetingid = answer["meetingid"]
    intended = {key: value for key, value in body.items() if key != "admin_userid"}
    if not whole:
        # The rest (the invitees past the cap, with hosts and ringing members) goes out
        # with the next run, which reads the meeting first.
        return run.ending.again()
    return Created(intended, attempt)


def create_body(meeting: Meeting) -> tuple[dict[str, Any], bool]:
    """The create call's body, and whether it is the whole meeting. Past the cap, the
    invitees (and the hosts and ringing members, who must be among them) are held back for
    the next run, which sends them with set_invitees and an update."""
    body = {
        **payloads.as_wecom_holds(payloads.desired_body(meeting), meeting.admin_userid),
        "admin_userid": meeting.admin_userid,
    }
    if len(body["invitees"]["userid"]) <= rules.configured_invitee_cap():
        return body, True
    del body["invitees"]
    body["settings"] = {
        name: value
        for name, value in body["settings"].items()
        if name not in payloads.SETTINGS_LISTS
    }
    return body, False


def created_elsewhere(run: Run, bodies: list[dict[str, Any]], attempt: Attempt) -> Result:
    """WeCom says the meeting exists (400302): ours, from a lost answer, or one made the same
    way by someone else. Either way it is the meeting meant; it is taken over."""
    attempt.mark(Outcome.FAILED)
    found = find_created(run, bodies)
    if found:
        return adopt(run, *found)
    return run.ending.failed(
        problems.Problem(
            "created_elsewhere", errcode=attempt.error.errcode if attempt.error else None
        )
    )


def wait_for_create(run: Run, err: WeComError) -> Result:
    if run.ending.tries + 1 >= max_tries():
        return run.ending.failed(problems.wecom(err))
    delay = settings.SYNC_CREATE_WAIT
    return run.ending.retry(delay + random.uniform(0, delay / 10), problems.wecom(err))


def find_created(run: Run, bodies: list[dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """(meetingid, get_info answer) of a meeting WeCom holds that one of these create bodies
    made: the organiser's, with that title and start, not yet known here."""
    wanted = {(b["title"], int(b["meeting_start"])) for b in bodies if b.get("title")}
    admin = run.meeting.admin_userid
    for start in sorted({start for _title, start in wanted}):
        for meetingid in user_meetingids(run, admin, start):
            if Meeting.objects.filter(meetingid=meetingid).exists():
                continue
            read = run.calls.need(partial(_get_info, meetingid=meetingid))
            info = read.answer
            match = (
                info.get("admin_userid") == admin
                and (info.get("title"), int(info.get("meeting_start") or 0)) in wanted
                and int(info.get("status") or 0) != Status.CANCELLED
            )
            if not match:
                read.mark(Outcome.NOTHING)
            else:
                return meetingid, info
    return None


def user_meetingids(run: Run, userid: str, start: int) -> Iterator[str]:
    """The organiser's meetings around `start`, page by page (each page recorded)."""
    return run.calls.each(
        lambda wecom: wecom.meeting_iter_user_meetingids(
            userid, start, start + USER_MEETINGIDS_SPAN
        )
    )


def adopt(run: Run, meetingid: str, info: dict[str, Any]) -> Result:
    """Take WeCom's meeting as this one. Its state there becomes the base (synced_state
    None), so the next run sends whatever was decided here since."""
    try:
        kept = run.ending.took_id(
            meetingid=meetingid,
            meeting_code=info.get("meeting_code") or "",
            meeting_link=info.get("meeting_link") or "",
            adopted=True,
        )
    except IntegrityError:
        return run.ending.failed(problems.Problem("already_here"), counted=False)
    if not kept:
        return Result(BUSY, detail="lease lost")
    return run.ending.again()


def _get_info(wecom: WeComClient, meetingid: str) -> dict[str, Any]:
    return wecom.meeting_get_info(meetingid)
