"""How a run ends: the only code that writes a meeting's sync state (sync_state, the confirmed
state and version, the problem shown, the tries, the next try) and that settles the audit
record's pending actions with what WeCom holds.

Every ending releases the lease. When an edit arrived while the run was out, the ending
leaves the meeting pending for a run of the newer version instead of writing an outcome
about an older one (see `Lease.release`).
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone, translation

from .. import audit, payloads, problems
from ..models import AuditEvent, Meeting, MeetingSettings, Status, SyncState
from ..presenters import problem_words
from ..rows import quote_table
from .attempts import Attempt, Caller
from .lease import Lease
from .merge import Merge, groups_of, leaf_of
from .plan import local_date
from .policy import backoff, max_tries

logger = logging.getLogger("meetings.sync")

# What a run ended with, for the task and the tests.
SYNCED = "synced"
NOTHING = "nothing"
BUSY = "busy"
GONE = "gone"
RETRY = "retry"
FAILED = "failed"
CONFLICT = "conflict"
AGAIN = "again"
# Saves still coming in: the run starts once they have settled (`meetings.settle`).
WAITING = "waiting"
# The detail of the record's event for changes made in WeCom that a run took in.
TAKEN_IN = "changed in WeCom, taken in by the sync"


@dataclass
class Result:
    outcome: str
    # Seconds until the next run should start; None when no run is needed.
    retry_in: float | None = None
    detail: str = ""


def _no_problem() -> dict[str, Any]:
    return {
        "sync_error": "",
        "sync_error_field": "",
        "sync_errcode": None,
        "sync_problem": None,
        "sync_tries": 0,
        "next_attempt_at": None,
    }


def words(problem: problems.Problem) -> str:
    """The problem's sentence in the site's language: the administrators' language, for the
    record and the CSV (the pages render sync_problem in the reader's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return problem_words(problem.stored())


def _problem_fields(problem: problems.Problem, field_name: str = "") -> dict[str, Any]:
    words_now = words(problem)
    return {
        "sync_error": words_now,
        "sync_error_field": field_name or "",
        "sync_errcode": problem.errcode,
        "sync_problem": problem.stored(),
    }


# --- what a person's action writes: the meeting waits for a run ---------------------------


def waiting(pk: int, **extra: Any) -> None:
    """A new decision (an edit, a cancel, a Retry): the meeting waits for a run, with a fresh
    count of tries and no problem shown. `extra` carries the action's own change (the version
    it bumps)."""
    waiting_all([pk], **extra)


def waiting_all(pks: Iterable[int], **extra: Any) -> None:
    """`waiting` for many meetings decided together (a batch change), in one UPDATE."""
    Meeting.objects.filter(pk__in=pks).update(
        sync_state=SyncState.PENDING, **_no_problem(), **extra
    )


def settled_conflict(
    pk: int, *, synced_state: dict[str, Any], remaining: dict[str, Any], version_up: bool
) -> None:
    """A person chose between their value and WeCom's: the chosen WeCom values are the base
    now, and once no conflict is left the meeting waits for a run."""
    Meeting.objects.filter(pk=pk).update(
        synced_state=synced_state,
        conflict=remaining,
        sync_state=SyncState.CONFLICT if remaining else SyncState.PENDING,
        version=F("version") + 1 if version_up else F("version"),
        sync_tries=0,
        next_attempt_at=None,
    )


def host_key_assigned(pk: int, key: str) -> None:
    """WeCom gave the meeting this host key, none having been chosen here. A key chosen, or
    the key turned off, since the run read the meeting is left alone."""
    MeetingSettings.objects.filter(meeting_id=pk, enable_host_key=True, host_key="").update(
        host_key=key
    )


def pull_requested(pk: int) -> None:
    """A read of WeCom is asked for; an edit on its way reads WeCom anyway."""
    Meeting.objects.filter(pk=pk).update(
        pull_requested=True,
        next_attempt_at=None,
        sync_state=Case(
            When(synced_version__gte=F("version"), then=Value(SyncState.PENDING)),
            default=F("sync_state"),
        ),
    )


@dataclass
class Settlement:
    """How an ending settles the record's actions up to the version its run carried."""

    outcome: str
    detail: str = ""
    # The calls that confirmed a done settlement.
    attempts: Iterable[Attempt] = ()
    # Occurrence cancels that could not be carried out (`Ending.synced`).
    lost: Sequence[problems.Problem] = ()
    # The record's rows of what the settlement found (a conflict: ours, then WeCom's).
    changes: Sequence[dict[str, Any]] = ()
    # Also when an edit arrived meanwhile: WeCom holds the version read all the same.
    moved_too: bool = False
    # The rows of what was never sent, the meeting having been cancelled first: the value
    # wanted here, then WeCom's, which the meeting now shows (`Ending.drop_unsent`).
    dropped: Sequence[dict[str, Any]] = ()

    @property
    def which(self) -> dict[str, Any]:
        """The events it settles, as `audit.settling` takes them: a failure or a conflict
        concerns what is still waiting; done stays done."""
        return {"unlike": self.outcome, "pending_only": self.outcome != AuditEvent.Outcome.OK}


class Ending:
    def __init__(self, lease: Lease, version: int = 0, tries: int = 0) -> None:
        self.lease = lease
        self.pk = lease.pk
        # 0 until the run has read the meeting: versions start at 1, so no release matches it.
        self.version = version
        self.tries = tries
        # The run's calls: the rows of its reads are stored with the ending, in its
        # transaction and before the settlement that names them.
        self.calls: Caller | None = None

    def _release(
        self,
        if_current: dict[str, Any],
        if_moved: dict[str, Any],
        settlement: Settlement | None = None,
    ) -> int | None:
        """`Lease.release` of the version this run read, with the run's calls stored and,
        in the same transaction, the record's `settlement` of the actions up to that
        version. The release returns what the settlement reads (`audit.settling`), so that
        a run ends in as few statements as it can: the calls' rows, the release, the
        settlements' events."""
        returning: tuple[str, list[Any]] = ("", [])
        if settlement is not None:
            table = quote_table(Meeting)
            returning = audit.settling(self.pk, self.version, table=table, **settlement.which)

        def then(stored: int, returned: tuple | None) -> None:
            if settlement is None or (stored != self.version and not settlement.moved_too):
                return
            if returned is None:
                found = audit.causes(self.pk, self.version, **settlement.which)
            else:
                found = audit.settled(returned, table)
            self._settle(settlement, *found)

        with transaction.atomic():
            if self.calls is not None:
                self.calls.write()
            return self.lease.release(self.version, if_current, if_moved, then, returning)

    # --- WeCom holds what was decided ---

    def synced(
        self,
        state: dict[str, Any] | None,
        *,
        attempts: Iterable[Attempt] = (),
        lost: Sequence[problems.Problem] = (),
        extra: dict[str, Any] | None = None,
        dropped: Sequence[dict[str, Any]] = (),
    ) -> Result:
        """WeCom holds `state` (read back, or read and found equal): the version this run
        read is done. `lost` holds occurrence cancels that could not be carried out
        (problems.Problem each, with the occurrence's start): the rest is done, and the
        meeting shows the first of them as failed. `dropped`: the changes never sent, the
        meeting having been cancelled first; the actions that made them are not done."""
        fields = {
            "synced_state": state,
            "synced_version": self.version,
            "synced_at": timezone.now(),
            "conflict": {},
            "pull_requested": False,
            **_no_problem(),
            **(extra or {}),
        }
        current = {**fields, "sync_state": SyncState.SYNCED}
        if lost:
            current.update(sync_state=SyncState.FAILED, **_problem_fields(lost[0]))
        stored = self._release(
            current,
            {**fields, "sync_state": SyncState.PENDING},
            Settlement(
                AuditEvent.Outcome.OK,
                attempts=attempts,
                lost=lost,
                moved_too=True,
                dropped=dropped,
            ),
        )
        if stored is None:
            return Result(BUSY, detail="lease lost")
        if stored != self.version:
            # Edited while the call was out: WeCom has the version read, the newer one
            # follows at once.
            return Result(AGAIN, retry_in=0)
        if lost:
            return Result(FAILED, detail=words(lost[0]))
        return Result(SYNCED)

    def nothing(self, detail: str) -> Result:
        """Nothing to do, and nothing to write but the release."""
        self._release({}, {})
        return Result(NOTHING, detail=detail)

    def already_synced(self) -> Result:
        self._release(
            {"sync_state": SyncState.SYNCED, "pull_requested": False, **_no_problem()},
            {},
        )
        return Result(NOTHING, detail="already synced")

    # --- not done, and why ---

    def failed(
        self, problem: problems.Problem, *, field_name: str = "", counted: bool = True
    ) -> Result:
        """Stop: a person must act (Retry, a new edit, another time). The record's pending
        actions of this version fail with the same reason."""
        fields = {
            "sync_state": SyncState.FAILED,
            "next_attempt_at": None,
            "pull_requested": False,
            "sync_tries": F("sync_tries") + 1 if counted else F("sync_tries"),
            **_problem_fields(problem, field_name),
        }
        stored = self._release(
            fields,
            {"sync_state": SyncState.PENDING, "next_attempt_at": None},
            Settlement(AuditEvent.Outcome.FAILED, detail=words(problem)),
        )
        if stored is not None and stored != self.version:
            # A newer edit may well fix what WeCom refused: it gets its own run.
            return Result(AGAIN, retry_in=0)
        return Result(FAILED, detail=words(problem))

    def retry(
        self, delay: float, problem: problems.Problem | None = None, *, counted: bool = True
    ) -> Result:
        """Try again in `delay` seconds; the pending actions stay pending."""
        at = timezone.now() + timedelta(seconds=delay)
        fields: dict[str, Any] = {"sync_state": SyncState.RETRYING, "next_attempt_at": at}
        if problem is not None:
            fields.update(_problem_fields(problem))
        moved = dict(fields)
        if counted:
            fields["sync_tries"] = F("sync_tries") + 1
            # A newer edit starts its own count (edit_meeting set it to 0).
            moved["sync_tries"] = 1
        self._release(fields, moved)
        return Result(RETRY, retry_in=delay, detail=words(problem) if problem else "")

    def conflict(self, conflicts: dict[str, Any]) -> Result:
        stored = self._release(
            {
                "sync_state": SyncState.CONFLICT,
                "conflict": conflicts,
                "pull_requested": False,
                **_no_problem(),
            },
            {"sync_state": SyncState.PENDING},
            Settlement(
                AuditEvent.Outcome.CONFLICT,
                detail=audit.with_fields(audit.CONFLICTED, conflicts),
                # What each side holds, so that the record shows WeCom's value even if
                # nobody ever settles the conflict.
                changes=audit.change_rows(
                    (name, sides["mine"], sides["wecom"]) for name, sides in conflicts.items()
                ),
            ),
        )
        if stored is not None and stored != self.version:
            return Result(AGAIN, retry_in=0)
        return Result(CONFLICT, detail=", ".join(conflicts))

    def again(self) -> Result:
        """Release and run once more at once (the meeting moved on: created, adopted, a
        change taken in, an intent WeCom did not hold yet)."""
        self._release({}, {})
        return Result(AGAIN, retry_in=0)

    def unexpected(self) -> Result:
        problem = problems.Problem("unexpected")
        try:
            if self.tries + 1 >= max_tries():
                return self.failed(problem)
            return self.retry(backoff(self.tries + 1), problem)
        except Exception:
            logger.exception("meeting %s: could not record the interruption", self.pk)
            return Result(RETRY, retry_in=backoff(self.tries + 1))

    # --- a meeting made here gets WeCom's ID ---

    def took_id(
        self,
        *,
        meetingid: str,
        meeting_code: str,
        meeting_link: str,
        excess_users: list[str] | None = None,
        adopted: bool = False,
    ) -> bool:
        """Store WeCom's ID before anything else: from here on the meeting is updated, never
        created again. A meeting found in WeCom and taken over (`adopted`) has WeCom's state
        as its base (synced_state None), so the next run sends what was decided here since.
        False when the lease was lost."""
        fields: dict[str, Any] = {
            "meetingid": meetingid,
            "meeting_code": meeting_code,
            "meeting_link": meeting_link,
        }
        if excess_users is not None:
            fields["excess_users"] = excess_users
        if adopted:
            with transaction.atomic():
                kept = self.lease.keep(**fields, synced_state=None)
            logger.info("meeting %s: found in WeCom as %s, created before", self.pk, meetingid)
            return kept
        stored = Meeting.objects.filter(pk=self.pk, meetingid__isnull=True).update(**fields)
        if not stored:
            logger.error("meeting %s: created as %s but already had an ID", self.pk, meetingid)
        logger.info("meeting %s: created in WeCom as %s", self.pk, meetingid)
        return True

    # --- changes made in WeCom ---

    def take_in(self, merged: Merge) -> bool:
        """Write the leaves changed only in WeCom into the desired state, unless an edit
        arrived since this run read it (then nothing is written: False). The version goes up,
        so that a form loaded before cannot silently put back the value WeCom just changed;
        a read that finds nothing new never gets here, and leaves open forms alone."""
        with transaction.atomic():
            meeting = (
                Meeting.objects.select_for_update(of=("self",))
                .select_related("settings", "reminders")
                .filter(pk=self.pk, lease_owner=self.lease.owner, version=self.version)
                .first()
            )
            if meeting is None:
                return False
            meeting.load_userids()
            before = payloads.desired_body(meeting)
            payloads.apply_body(meeting, groups_of(merged.body, merged.taken))
            Meeting.objects.filter(pk=self.pk).update(version=F("version") + 1)
            # The lists read before the change are stale now.
            meeting.refresh_from_db()
            meeting.load_userids()
            # Nobody here made this change, but the record must show it: who changed what is
            # the auditors' question, and "someone in WeCom" is part of the answer.
            audit.record(
                AuditEvent.Action.IMPORT,
                meeting=meeting,
                detail=TAKEN_IN,
                changes=audit.change_rows(payloads.changes(before, payloads.desired_body(meeting))),
            )
        self.version += 1
        logger.info("meeting %s: took in %s from WeCom", self.pk, ", ".join(merged.taken))
        return True

    def drop_unsent(self, theirs: dict[str, Any], unsent: Iterable[str]) -> list[dict[str, Any]]:
        """The meeting is cancelled in WeCom with these leaves of its desired state never
        sent: they take WeCom's values (`theirs`), which the meeting's pages then show. The
        record's rows of that change, from the value wanted to WeCom's. No new version: a
        cancelled meeting takes no edit that it could make stale."""
        with transaction.atomic():
            meeting = (
                Meeting.objects.select_for_update(of=("self",))
                .select_related("settings", "reminders")
                .get(pk=self.pk)
            )
            meeting.load_userids()
            before = payloads.desired_body(meeting)
            payloads.apply_body(meeting, groups_of(theirs, unsent))
            meeting.load_userids()
            rows = payloads.changes(before, payloads.desired_body(meeting))
        logger.info("meeting %s: cancelled before %s was sent", self.pk, ", ".join(unsent))
        return audit.change_rows(rows)

    def status_changed(self, old: int, new: int) -> None:
        """WeCom's own status for the meeting (ended, cancelled there…), recorded as news."""
        with transaction.atomic():
            if self.lease.keep(status=new) and old != new:
                audit.record(
                    AuditEvent.Action.IMPORT,
                    meeting=Meeting.objects.get(pk=self.pk),
                    detail=TAKEN_IN,
                    changes=[{"field": "status", "old": old, "new": new}],
                )

    # --- the record ---

    def _settle(
        self,
        settlement: Settlement,
        events: list[Any],
        head: tuple[str, Any] | None,
    ) -> None:
        """Append a sync_result event for each of `events` (`audit.settling`: the actions of
        this meeting up to the version this run carried that are not already settled that
        way), in one INSERT after the chain's `head`. A cancel of an occurrence in `lost`
        fails with its reason even when the rest is done; a done settlement names the
        attempts that confirmed it."""
        outcome, lost = settlement.outcome, settlement.lost
        lost_dates = {p.params.get("date"): p for p in lost}
        confirmed_by = ", ".join(f"#{attempt.pk}" for attempt in settlement.attempts)
        results = []
        for event in events:
            if event.effective_outcome == AuditEvent.Outcome.OVERRIDDEN:
                # An administrator kept WeCom's value of all it changed: nothing of it was
                # sent, so no sync settles it.
                continue
            meeting = event.meeting
            this_outcome, this_detail, changes = outcome, settlement.detail, settlement.changes
            problem = lost_dates.get(_occurrence_date(event)) if lost else None
            never_sent = _never_sent(event, settlement.dropped)
            if problem is not None:
                this_outcome, this_detail = AuditEvent.Outcome.FAILED, words(problem)
            elif outcome == AuditEvent.Outcome.OK and never_sent:
                # WeCom holds the meeting cancelled, not this change, which was never sent.
                fields = sorted({row["field"] for row in never_sent})
                this_outcome = AuditEvent.Outcome.OVERRIDDEN
                this_detail = audit.with_fields(audit.CANCELLED_FIRST, fields)
                changes = never_sent
            elif outcome == AuditEvent.Outcome.OK:
                if not _cancel_held(event, meeting):
                    # Done is said only of what WeCom holds: a cancel it does not show stays
                    # as it was (failed with its reason, or pending).
                    continue
                if confirmed_by:
                    this_detail = audit.HELD % {"attempts": confirmed_by}
                    # Done only for the rest when some of it gave way to WeCom's value.
                    kept = audit.kept_fields(event.effective_detail)
                    if kept is not None:
                        this_detail = audit.HELD_REST % {"attempts": confirmed_by, "fields": kept}
            if this_outcome == event.effective_outcome:
                continue
            results.append(
                audit.build(
                    AuditEvent.Action.SYNC_RESULT,
                    meeting=meeting,
                    outcome=this_outcome,
                    detail=this_detail,
                    changes=changes,
                    settles=event,
                )
            )
        audit.record_all(results, head=head)


def _never_sent(event: AuditEvent, dropped: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of `dropped` (changes never sent, the meeting cancelled first) that concern
    what `event` changed; none for the cancel itself."""
    if not dropped or event.action == AuditEvent.Action.CANCEL:
        return []
    changed = {leaf_of(row["field"]) for row in event.changes}
    return [row for row in dropped if leaf_of(row["field"]) in changed]


def _cancel_held(event: AuditEvent, meeting: Meeting | None) -> bool:
    """Whether WeCom (as last read into the meeting) shows what a cancel event asked: the
    meeting cancelled, or the occurrence of the date chosen deleted and still wanted here (a
    cancel lost when its date left the series is no longer wanted: the administrator must
    choose again). True for any other action, whose fields the read back has checked."""
    if event.action != AuditEvent.Action.CANCEL or meeting is None:
        return True
    date = _occurrence_date(event)
    if not date:
        return meeting.status == Status.CANCELLED
    by_id = {o["sub_meetingid"]: o for o in meeting.sub_meetings}
    wanted = [by_id[i] for i in meeting.cancel_sub_meetingids if i in by_id]
    return any(o.get("deleted") and local_date(o["start"]) == date for o in wanted)


def _occurrence_date(event: AuditEvent) -> str:
    """The local date of the occurrence a cancel event names ("" for any other event)."""
    if event.action != AuditEvent.Action.CANCEL:
        return ""
    for row in event.changes or ():
        if row.get("field") == "occurrence":
            return local_date(int(row["old"]))
    return ""
