"""One run of the sync for one meeting, top-down:

    guard -> read -> plan -> send -> read back -> verify

- guard: is there anything to do, may calls go out, is the meeting still to come?
- read: get_info, with the occurrences stored at once (cancels follow their occurrence);
- plan: the three-way merge and the calls it needs (`plan.make_plan`); conflicts stop here,
  changes made only in WeCom are taken in;
- send: the calls, each leaving its attempt;
- read back: one get_info after the last write, the only source of what WeCom holds;
- verify: each intent (a field, an occurrence to cancel) against that read. Held: done.
  Not held: planned again by another run, and failed with a reason once the tries are spent.

A run that finds nothing to send makes no second read. How a run ends (and what that writes)
is `endings`; what an error means is `policy`.
"""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from wecom.client import WeComClient

from .. import audit, payloads, problems, rules, settle
from ..models import Meeting, Status, SyncState
from ..payloads import as_wecom_holds
from ..problems import Problem
from ..rows import whole_meeting
from .attempts import Attempt, Caller, CallFailed, Outcome, unconfirmed_sends
from .context import Run
from .create import Created, create
from .endings import BUSY, GONE, WAITING, Ending, Result, host_key_assigned
from .lease import Lease, claim, new_owner
from .merge import differing, leaves
from .plan import (
    UPDATE,
    Plan,
    follow_cancels,
    held,
    local_date,
    make_plan,
    nearest,
    occurrences,
    pending_cancels,
    verify,
    wanted,
    with_filled,
)
from .policy import backoff, decide, max_tries

logger = logging.getLogger("meetings.sync")


def reconcile(
    pk: int,
    *,
    owner: str | None = None,
    client: WeComClient | None = None,
    settled: bool = False,
) -> Result:
    """Bring WeCom to the meeting's desired state, as far as a person need not decide. With
    `settled`, not while saves are still coming in (`meetings.settle`): the result then
    says when to run."""
    owner = owner or new_owner()
    if not claim(pk, owner, timezone.now(), settled=settled):
        if settled and (wait := settle.wait(pk)):
            return Result(WAITING, retry_in=wait)
        # The holder reads the version again when it finishes and runs once more if an edit
        # arrived meanwhile; should it die, the sweep restarts the meeting after the lease.
        return Result(BUSY)
    lease = Lease(pk, owner)
    ending = Ending(lease)
    try:
        meeting = _load(pk)
        if meeting is None:
            return Result(GONE)
        ending.version, ending.tries = meeting.version, meeting.sync_tries
        # `cause` is annotated by _load.
        cause = meeting.cause  # type: ignore[attr-defined]
        run = Run(meeting, lease, Caller(pk, meeting.version, cause, client), ending)
        run.calls.meetingid = meeting.meetingid or ""
        ending.calls = run.calls
        try:
            return _go(run)
        except CallFailed as failure:
            return failed_call(run, failure.attempt)
    except Exception:
        logger.exception("sync of meeting %s stopped by an unexpected error", pk)
        return ending.unexpected()
    finally:
        # The reads of a run that ended without an ending (a lease lost on the way).
        if ending.calls is not None:
            try:
                ending.calls.write()
            except Exception:
                logger.exception("meeting %s: the rows of the run's reads were not stored", pk)


def _load(pk: int) -> Meeting | None:
    # The event this run's attempts carry, in the same query.
    return whole_meeting(pk, cause=audit.causing_event("m"))


def _go(run: Run) -> Result:
    early = _guard(run)
    if early is not None:
        return early
    if run.meeting.meetingid is None:
        created = create(run)
        if isinstance(created, Created):
            return read_back(run, created.intended, [created.attempt])
        return created
    read = run.get_info()
    refresh_occurrences(run, read.answer)
    status = int(read.answer.get("status") or Status.SCHEDULED)
    if status != Status.SCHEDULED:
        return _not_scheduled(run, read, status)
    if run.meeting.cancel_requested:
        return _cancel_whole(run)
    return _update(run, read)


def _guard(run: Run) -> Result | None:
    meeting, ending = run.meeting, run.ending
    if meeting.sync_state in (SyncState.FAILED, SyncState.CONFLICT):
        # Waiting for a person (Retry, a new edit, a choice): a stray message must not
        # start the tries again behind their back.
        return ending.nothing("waiting for a person")
    if meeting.synced_version >= meeting.version and not meeting.pull_requested:
        return ending.already_synced()
    if meeting.status != Status.SCHEDULED:
        return ending.failed(
            problems.Problem("not_scheduled", {"status": meeting.status}), counted=False
        )
    if (
        _owes(meeting)
        and not meeting.cancel_requested
        and not meeting.reminders.is_repeat
        and meeting.start <= timezone.now()
    ):
        return ending.failed(problems.Problem("started"), counted=False)
    return None


def _owes(meeting: Meeting) -> bool:
    """Whether anything decided here has still to reach WeCom. A run for a meeting that owes
    nothing is a pull (a callback, a refresh), or one whose decisions are done or past doing:
    it only reads WeCom."""
    if meeting.cancel_requested or meeting.synced_state is None:
        return True
    cancels, _started = pending_cancels(
        meeting.sub_meetings, meeting.cancel_sub_meetingids, _now_unix()
    )
    admin, confirmed = meeting.admin_userid, meeting.synced_state
    desired = wanted(payloads.desired_body(meeting), confirmed, admin)
    return bool(cancels) or bool(differing(desired, as_wecom_holds(confirmed, admin)))


def _update(run: Run, read: Attempt) -> Result:
    meeting = run.meeting
    theirs = held(read.answer, meeting.admin_userid)
    the_plan = _plan(run, theirs)
    if the_plan.conflicts:
        read.mark(Outcome.CONFLICT)
        return run.ending.conflict(the_plan.conflicts)
    if the_plan.taken and not run.ending.take_in(the_plan.merge):
        # An edit arrived since this run read the meeting: start over with it.
        read.mark(Outcome.NOTHING)
        return run.ending.again()
    if the_plan.empty:
        read.mark(Outcome.NOTHING)
        _take_assigned_host_key(meeting, theirs)
        return run.ending.synced(
            verify(the_plan.intended, theirs).confirmed,
            lost=run.lost,
            attempts=[read],
        )
    start = the_plan.update.get("meeting_start")
    if start is not None and payloads.from_unix(start) <= timezone.now():
        return run.ending.failed(problems.Problem("started"), counted=False)
    if not run.lease.extend():
        return Result(BUSY, detail="lease lost")
    sent: list[Attempt] = []
    excess_users = None
    for path, body in the_plan.calls(meeting.meetingid or ""):
        attempt = run.calls.planned(path, body)
        sent.append(attempt)
        if path == UPDATE:
            excess_users = attempt.answer.get("excess_users") or []
    return read_back(run, the_plan.intended, sent, excess_users=excess_users)


def _plan(run: Run, theirs: dict[str, Any]) -> Plan:
    meeting = run.meeting
    desired = payloads.desired_body(meeting)
    cancels, _started = pending_cancels(
        meeting.sub_meetings, meeting.cancel_sub_meetingids, _now_unix()
    )
    arguments: dict[str, Any] = {
        "admin_userid": meeting.admin_userid,
        "cancels": cancels,
        "invitee_cap": rules.configured_invitee_cap(),
    }
    the_plan = make_plan(desired, meeting.synced_state, theirs, **arguments)
    if the_plan.taken or the_plan.conflicts:
        # Only now is it worth asking whether those were our own unconfirmed sends.
        sent = unconfirmed_sends(meeting.pk, meeting.synced_version)
        if sent:
            the_plan = make_plan(desired, meeting.synced_state, theirs, sent=sent, **arguments)
    return the_plan


def read_back(
    run: Run,
    intended: dict[str, Any],
    sent: list[Attempt],
    *,
    excess_users: list[str] | None = None,
    status: int = Status.SCHEDULED,
) -> Result:
    """After the last write: read WeCom once, record what it holds, and check each intent.
    What WeCom does not hold is planned again by the next run, counted as a try, so that
    what it keeps refusing without an error ends as a failure that says so."""
    meeting = run.meeting
    back = run.get_info()
    refresh_occurrences(run, back.answer)
    theirs = held(back.answer, meeting.admin_userid)
    # A leaf left to WeCom (a host key nobody chose) is held at whatever WeCom gave it.
    verdict = verify(with_filled(intended, theirs), theirs)
    cancels, _started = pending_cancels(
        meeting.sub_meetings, meeting.cancel_sub_meetingids, _now_unix()
    )
    now_status = int(back.answer.get("status") or Status.SCHEDULED)
    if verdict.held and not cancels and now_status == status:
        _take_assigned_host_key(meeting, theirs)
        extra: dict[str, Any] = {} if excess_users is None else {"excess_users": excess_users}
        dropped: list[dict[str, Any]] = []
        if status != Status.SCHEDULED:
            extra["status"] = status
            dropped = _unsent(run, theirs)
        return run.ending.synced(
            verdict.confirmed, lost=run.lost, attempts=[*sent, back], extra=extra, dropped=dropped
        )
    missing = sorted(verdict.missing) or (["sub_meetings"] if cancels else ["status"])
    logger.info("meeting %s: WeCom does not hold %s yet", meeting.pk, ", ".join(missing))
    if run.ending.tries + 1 >= max_tries():
        return run.ending.failed(problems.Problem("not_held", {"fields": missing}))
    # Said while it is sent again, without asking a person for anything yet.
    return run.ending.retry(
        backoff(run.ending.tries + 1), problems.Problem("not_held_yet", {"fields": missing})
    )


def _unsent(run: Run, theirs: dict[str, Any]) -> list[dict[str, Any]]:
    """A meeting cancelled in WeCom with edits never sent (a cancel carries none): those
    fields take WeCom's values, and the record's rows of them, for the actions that made
    them. Only fields the read gave: one it left out says nothing of what WeCom holds."""
    meeting = run.meeting
    desired = wanted(payloads.desired_body(meeting), theirs, meeting.admin_userid)
    given = leaves(theirs)
    unsent = [leaf for leaf in differing(desired, theirs) if leaf in given]
    return run.ending.drop_unsent(theirs, unsent) if unsent else []


def _take_assigned_host_key(meeting: Meeting, theirs: dict[str, Any]) -> None:
    """The host key WeCom gave a meeting whose key is on but chosen by nobody here becomes
    its key: administrators must pass it on to the hosts, and the pages show the meeting's."""
    assigned = (theirs.get("settings") or {}).get("host_key")
    if assigned and meeting.settings.enable_host_key and not meeting.settings.host_key:
        host_key_assigned(meeting.pk, assigned)


def refresh_occurrences(run: Run, info: dict[str, Any]) -> None:
    """Store the occurrences get_info lists, with each wanted cancel following its occurrence
    (`plan.follow_cancels`). A cancel that can no longer be carried out leaves the list and
    joins `run.lost`. Under the row's lock, so that a cancel decided meanwhile is kept."""
    fresh = occurrences(info)
    if fresh is None:
        return
    meeting = run.meeting
    if fresh == meeting.sub_meetings and not meeting.cancel_sub_meetingids:
        # Nothing to store and no cancel to follow. A cancel decided since the meeting was
        # loaded raised its version: the ending sees that and runs again.
        return
    with transaction.atomic():
        row = (
            Meeting.objects.select_for_update(of=("self",))
            .filter(pk=run.meeting.pk, lease_owner=run.lease.owner)
            .values("sub_meetings", "cancel_sub_meetingids")
            .first()
        )
        if row is None:
            return
        followed = follow_cancels(
            row["sub_meetings"],
            fresh,
            row["cancel_sub_meetingids"],
            timezone.get_current_timezone(),
        )
        _send, started = pending_cancels(fresh, followed.ids, _now_unix())
        ids = [i for i in followed.ids if i not in {o["sub_meetingid"] for o in started}]
        run.lost += [_gone(o, fresh) for o in followed.lost]
        run.lost += [
            problems.Problem(
                "occurrence_started",
                {
                    "when": o["start"],
                    "date": local_date(o["start"]),
                },
            )
            for o in started
        ]
        Meeting.objects.filter(pk=run.meeting.pk).update(
            sub_meetings=fresh, cancel_sub_meetingids=ids
        )
    run.meeting.sub_meetings, run.meeting.cancel_sub_meetingids = fresh, ids


def _gone(occurrence: dict[str, Any], fresh: list[dict[str, Any]]) -> Problem:
    moved = nearest(fresh, occurrence["start"])
    return problems.Problem(
        "occurrence_gone",
        {
            "when": occurrence["start"],
            "moved": moved["start"] if moved else occurrence["start"],
            "date": local_date(occurrence["start"]),
        },
    )


def _now_unix() -> int:
    return int(timezone.now().timestamp())


def _cancel_whole(run: Run) -> Result:
    if not run.lease.extend():
        return Result(BUSY, detail="lease lost")
    meetingid = run.meeting.meetingid or ""
    cancel = run.calls.need(lambda wecom: wecom.meeting_cancel(meetingid))
    return read_back(run, {}, [cancel], status=Status.CANCELLED)


def _not_scheduled(run: Run, read: Attempt, status: int) -> Result:
    """WeCom no longer has the meeting scheduled. News, not a failure, unless something
    decided here can now not be done."""
    meeting = run.meeting
    done = not _owes(meeting) or (status == Status.CANCELLED and meeting.cancel_requested)
    read.mark(Outcome.NOTHING if done else Outcome.FAILED)
    if not meeting.cancel_requested:
        run.ending.status_changed(meeting.status, status)
    if done:
        theirs = held(read.answer, meeting.admin_userid)
        return run.ending.synced(theirs, lost=run.lost, attempts=[read])
    return run.ending.failed(problems.Problem("not_scheduled", {"status": status}))


def failed_call(run: Run, attempt: Attempt) -> Result:
    """Decide by the error's class (policy); record the try with that decision."""
    # CallFailed carries only attempts that failed.
    assert attempt.error is not None
    decision = decide(attempt.error, tries=run.ending.tries, last_errcode=run.meeting.sync_errcode)
    if decision.retry:
        attempt.mark(Outcome.RETRY if decision.counted else Outcome.NOTHING)
        return run.ending.retry(decision.delay, decision.problem, counted=decision.counted)
    attempt.mark(Outcome.FAILED)
    return run.ending.failed(decision.problem, field_name=decision.field)
