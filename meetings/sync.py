"""Reconcile one meeting with WeCom: the sync worker's whole job, with no Celery in it.

A run claims the meeting with a lease kept in its own row, so that one worker at a time works
on it and a worker that dies loses its claim when the lease runs out. Under the lease it
compares three states of the meeting, leaf by leaf (title, the start with its duration,
invitees, each setting, each reminders field):

- base: what WeCom last confirmed (`synced_state`),
- mine: what the administrators want now (`payloads.desired_body`),
- theirs: what WeCom holds now (`get_info`, normalised and pruned).

A leaf changed only in WeCom is taken in; a leaf changed on both sides to different values is
a conflict for a person to settle, and then nothing is sent; everything else that differs
from WeCom's current state is sent in one update. Because a run always sends the newest
desired state, a burst of edits becomes one call, a repeated message finds nothing to do, and
an old edit never overwrites a newer one.

Each call to WeCom leaves a SyncAttempt row. What happens next is returned to the caller (the
Celery task) as a Result: nothing, or a new run after `retry_in` seconds. The schedule is
also written to the row (`next_attempt_at`), so the periodic sweep restarts it when a message
is lost.
"""

import copy
import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from wecom.client import get_client
from wecom.errors import (
    ConfigurationError,
    PermanentError,
    TokenError,
    TransientError,
    WeComError,
)
from wecom.limits import RateLimited

from . import audit, payloads, rules
from .models import AuditEvent, Meeting, Status, SyncAttempt, SyncState

logger = logging.getLogger("meetings.sync")

CREATE = "meeting/create"
UPDATE = "meeting/update"
CANCEL = "meeting/cancel"
SET_INVITEES = "meeting/set_invitees"
GET_INFO = "meeting/get_info"
USER_MEETINGIDS = "meeting/get_user_meetingid"
# The calls that change WeCom: their attempt is written before the call (see `call`).
WRITES = (CREATE, UPDATE, CANCEL, SET_INVITEES)

# The leaf that stands for the start and the duration together: a new time slot is one
# decision, so a start moved here and a duration changed in WeCom is a conflict, not a mix.
TIME = "meeting_start"
SECRET_SETTINGS = ("password", "host_key")
REDACTED = "***"
TOKEN_ERRCODES = (40014, 42001)
# meeting/create's two duplicate answers: the same meeting is being created right now
# (WeCom says to wait five minutes), or it has been created already.
CREATE_IN_FLIGHT = 400301
DUPLICATE_CREATED = 400302
# The detail of the record's event for changes made in WeCom that a run took in.
TAKEN_IN = "changed in WeCom, taken in by the sync"
# How far past a lost create's start the organiser's meetings are listed when looking for it.
USER_MEETINGIDS_SPAN = 3600


class _Absent:
    def __repr__(self):
        return "ABSENT"


# A leaf that one of the states does not have at all (a setting that does not apply there,
# or one that get_info does not report).
ABSENT = _Absent()

# What a run ended with, for the task and the tests.
SYNCED = "synced"
NOTHING = "nothing"
BUSY = "busy"
GONE = "gone"
RETRY = "retry"
FAILED = "failed"
CONFLICT = "conflict"
AGAIN = "again"


@dataclass
class Result:
    outcome: str
    # Seconds until the next run should start; None when no run is needed.
    retry_in: float | None = None
    detail: str = ""


# --- tunables ---------------------------------------------------------------------------


def lease_seconds():
    """How long a claim lasts. It must outlive one call to WeCom, a token refresh and the
    re-send after it, so that a live worker never loses its claim in the middle of a call."""
    default = 3 * (settings.WECOM_CONNECT_TIMEOUT + settings.WECOM_READ_TIMEOUT) + 10
    return getattr(settings, "SYNC_LEASE_SECONDS", default)


def max_tries():
    return getattr(settings, "SYNC_MAX_TRIES", 8)


def backoff(tries):
    """Seconds before try number `tries + 1`: exponential, capped, with jitter so that
    meetings that failed together do not come back together. The first half of the delay is
    kept, so a retry never comes sooner than half the nominal back-off."""
    base = getattr(settings, "SYNC_BACKOFF_BASE", 5)
    cap = getattr(settings, "SYNC_BACKOFF_MAX", 600)
    delay = min(cap, base * 2 ** max(0, tries - 1))
    return delay / 2 + random.uniform(0, delay / 2)


# --- the three-way comparison --------------------------------------------------------------


def leaves(body):
    """The comparable leaves of an update body: `title`, `meeting_start` (start and duration
    as one), `invitees`, `settings.<name>`, `reminders.<name>`…"""
    flat = {}
    for key, value in (body or {}).items():
        if key == "meetingid" or key in payloads.TIME_FIELDS:
            continue
        if key in ("settings", "reminders") and isinstance(value, dict):
            for name, sub in value.items():
                flat[f"{key}.{name}"] = sub
        else:
            flat[key] = value
    if any(name in (body or {}) for name in payloads.TIME_FIELDS):
        flat[TIME] = {name: body.get(name) for name in payloads.TIME_FIELDS}
    return flat


def body_from_leaves(flat):
    body = {}
    for key, value in flat.items():
        if key == TIME:
            body.update({name: v for name, v in value.items() if v is not None})
        elif key.startswith(("settings.", "reminders.")):
            group, name = key.split(".", 1)
            body.setdefault(group, {})[name] = value
        else:
            body[key] = value
    return body


def _comparable(value):
    # Userids are compared without order or case (WeCom's contact book ignores case and the
    # lists have no meaningful order); the day and reminder lists are sets as well.
    if isinstance(value, dict) and set(value) <= {"userid"}:
        return ("userid", tuple(sorted({str(u).lower() for u in value.get("userid") or []})))
    if isinstance(value, list):
        return tuple(sorted(value, key=repr))
    if isinstance(value, dict):
        return tuple(sorted((k, _comparable(v)) for k, v in value.items()))
    return value


def same(a, b):
    if a is ABSENT or b is ABSENT:
        return a is b
    return _comparable(a) == _comparable(b)


@dataclass
class Merge:
    body: dict
    # Leaves taken in from WeCom: {leaf: WeCom's value}.
    taken: dict = field(default_factory=dict)
    # Leaves changed on both sides: {leaf: {"mine": …, "wecom": …}}.
    conflicts: dict = field(default_factory=dict)
    # WeCom's state as far as it is known, with a leaf get_info left out standing at base.
    theirs: dict = field(default_factory=dict)


def merge(base, mine, theirs, sent=()):
    """Combine the three states leaf by leaf. `base` None (never synced) counts as WeCom's
    current state: then every difference is the administrators' and is sent.

    `sent` holds the bodies of updates sent since WeCom last confirmed (their answer lost,
    or refused): WeCom may hold their values although no answer said so, and a value of
    ours is no change made in WeCom."""
    t = leaves(theirs)
    b = t if base is None else leaves(base)
    m = leaves(mine)
    ours = [leaves(body) for body in sent]
    merged, taken, conflicts, known = {}, {}, {}, {}
    for key in list(m) + [k for k in {**b, **t} if k not in m]:
        bv, mv, tv = b.get(key, ABSENT), m.get(key, ABSENT), t.get(key, ABSENT)
        if tv is ABSENT:
            # get_info does not report every field; what it leaves out is taken as unchanged.
            tv = bv
        if tv is not ABSENT:
            known[key] = tv
        mine_changed = not same(mv, bv)
        theirs_changed = not same(tv, bv) and not _sent_by_us(key, tv, ours)
        value = mv
        if theirs_changed and not mine_changed:
            value = tv
            taken[key] = tv
        elif theirs_changed and mv is not ABSENT and not same(mv, tv):
            # A field that no longer applies here (mine ABSENT) cannot conflict: whatever
            # WeCom set it to, the meeting as decided here does not use it.
            conflicts[key] = {"mine": mv, "wecom": None if tv is ABSENT else tv}
        if value is not ABSENT:
            merged[key] = value
    return Merge(rules.prune(body_from_leaves(merged)), taken, conflicts, known)


def _sent_by_us(key, value, ours):
    for body in ours:
        if key not in body:
            continue
        # The record keeps no secret: a secret we sent may be the one WeCom holds, and the
        # newest one decided here is sent anyway.
        if body[key] == REDACTED or same(body[key], value):
            return True
    return False


def to_send(merge_result):
    """What an update must carry to turn WeCom's current state into the merged one: only
    what differs, the start and the duration together, settings and reminders whole."""
    merged = leaves(merge_result.body)
    # Where WeCom's value equals the merged one except for order or case, WeCom's view uses
    # the merged value, so that payloads.diff (which compares exactly) does not send it.
    view = {
        key: merged[key] if key in merged and same(merged[key], value) else value
        for key, value in merge_result.theirs.items()
    }
    return payloads.diff(body_from_leaves(view), merge_result.body)


def redact(body):
    """A copy of a request body fit for the attempts record: no password, no host key."""
    body = copy.deepcopy(body)
    group = body.get("settings")
    if isinstance(group, dict):
        for name in SECRET_SETTINGS:
            if group.get(name) not in (None, ""):
                group[name] = REDACTED
    return body


# --- one run ---------------------------------------------------------------------------------


def new_owner():
    """A claim's owner: unique per run, and naming the host and process for an operator."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"


def claim(pk, owner, now):
    """Take the meeting's lease, or return False when someone holds an unexpired one. One
    conditional UPDATE, so that two workers can never both succeed. A meeting on its way
    to WeCom shows as syncing from here; one waiting for a person keeps its state."""
    taken = (
        Meeting.objects.filter(pk=pk)
        .filter(Q(lease_expires__isnull=True) | Q(lease_expires__lte=now) | Q(lease_owner=owner))
        .update(
            lease_owner=owner,
            lease_expires=now + timedelta(seconds=lease_seconds()),
            sync_state=Case(
                When(
                    sync_state__in=(SyncState.PENDING, SyncState.RETRYING),
                    then=Value(SyncState.SYNCING),
                ),
                default=F("sync_state"),
            ),
        )
    )
    return taken == 1


def reconcile(pk, *, owner=None, client=None):
    """Bring WeCom to the meeting's desired state, as far as a person need not decide."""
    owner = owner or new_owner()
    now = timezone.now()
    if not claim(pk, owner, now):
        # The holder reads the version again when it finishes and runs once more if an edit
        # arrived meanwhile; should it die, the sweep restarts the meeting after the lease.
        return Result(BUSY)
    run = _Run(pk, owner, client)
    try:
        return run.go()
    except Exception:
        logger.exception("sync of meeting %s stopped by an unexpected error", pk)
        return run.unexpected()


class _Run:
    def __init__(self, pk, owner, client):
        self.pk = pk
        self.owner = owner
        self._client = client
        # Known once the meeting is loaded; an error before that still ends in a retry.
        self.meeting = None
        self.version = None
        self.tries = 0

    @property
    def client(self):
        if self._client is None:
            self._client = get_client()
        return self._client

    def load(self):
        return (
            Meeting.objects.select_related("settings", "reminders")
            .prefetch_related("participants")
            .get(pk=self.pk)
        )

    def go(self):
        try:
            meeting = self.load()
        except Meeting.DoesNotExist:
            return Result(GONE)
        self.meeting = meeting
        self.meetingid = meeting.meetingid
        self.version = meeting.version
        self.tries = meeting.sync_tries
        if meeting.synced_version >= meeting.version:
            self.finish(_synced_fields(), {})
            return Result(NOTHING, detail="already synced")
        if meeting.sync_state in (SyncState.FAILED, SyncState.CONFLICT):
            # Waiting for a person (Retry, a new edit, a choice): a stray message must not
            # start the tries again behind their back.
            self.finish({}, {})
            return Result(NOTHING, detail="waiting for a person")
        if meeting.status != Status.SCHEDULED:
            return self.fail(_not_scheduled(meeting.status))
        if meeting.meetingid is None:
            return self.create()
        owed = _owed(meeting)
        now = timezone.now()
        if owed and not meeting.cancel_requested and not meeting.reminders.is_repeat \
                and meeting.start <= now:
            return self.fail(_("The meeting started before the change reached WeCom."))

        lookup = {"meetingid": meeting.meetingid}
        try:
            info = self.call(GET_INFO, lookup)
        except WeComError as err:
            return self.failed_call(err)
        self.note_occurrences(info)
        status = int(info.get("status") or Status.SCHEDULED)
        if status != Status.SCHEDULED:
            # Asked again: an occurrence to cancel that has started meanwhile is owed no more.
            return self.not_scheduled(status, _owed(meeting))
        if meeting.cancel_requested:
            self.record(GET_INFO, lookup, SyncAttempt.Outcome.OK)
            return self.cancel()

        theirs = rules.prune(payloads.body_from_info(info))
        desired = payloads.desired_body(meeting)
        result = merge(meeting.synced_state, desired, theirs)
        if result.taken or result.conflicts:
            # Only now is it worth asking whether those were our own unanswered sends.
            sent = self.unconfirmed_sends()
            if sent:
                result = merge(meeting.synced_state, desired, theirs, sent=sent)
        if result.conflicts:
            self.record(GET_INFO, lookup, SyncAttempt.Outcome.CONFLICT)
            return self.conflict(result.conflicts)
        if result.taken and not self.take_in(result):
            self.record(GET_INFO, lookup, SyncAttempt.Outcome.NOTHING)
            return self.moved_on()

        body = to_send(result)
        occurrences = _pending_cancels(meeting)
        if not body and not occurrences:
            self.record(GET_INFO, lookup, SyncAttempt.Outcome.NOTHING)
            return self.confirmed(result.body, excess_users=None)
        self.record(GET_INFO, lookup, SyncAttempt.Outcome.OK)
        if "meeting_start" in body and payloads.from_unix(body["meeting_start"]) <= now:
            return self.fail(_("The meeting started before the change reached WeCom."))
        if not self.extend():
            return Result(BUSY, detail="lease lost")
        try:
            # The occurrences first: they are named as WeCom listed them just now, and a new
            # start sent after could rename them.
            for sub_meetingid in occurrences:
                self.send(CANCEL, {**lookup, "sub_meetingid": sub_meetingid})
                self.note_cancelled(sub_meetingid)
            invitees = body.get("invitees", {}).get("userid")
            if invitees is not None and _over_cap(invitees, meeting.admin_userid):
                # Past the update's cap the list goes whole through set_invitees, which
                # also wants the admin in it; first, so that hosts sent after are invitees.
                del body["invitees"]
                everyone = _with_admin(invitees, meeting.admin_userid)
                self.send(SET_INVITEES, {**lookup, "invitees": [{"userid": u} for u in everyone]})
            excess_users = None
            if body:
                answer = self.send(UPDATE, {**lookup, **body})
                excess_users = answer.get("excess_users") or []
        except WeComError as err:
            return self.failed_call(err)
        return self.confirmed(result.body, excess_users=excess_users)

    # --- create, cancel and WeCom's own status ---

    def create(self):
        """Create the meeting in WeCom, exactly once. A create is not idempotent there, so a
        create whose answer was lost (its attempt still unanswered) is looked for before any
        new one is sent, and WeCom's own duplicate answers lead to the same search."""
        meeting = self.meeting
        try:
            lost = self.unanswered_creates()
            found = self.find_created(lost) if lost else None
        except WeComError as err:
            return self.failed_call(err)
        if found:
            return self.adopt(*found)
        if meeting.cancel_requested:
            # WeCom never had it: the cancellation is this app's record alone.
            self.keep(status=Status.CANCELLED)
            return self.confirmed(meeting.synced_state, excess_users=None)
        if meeting.start <= timezone.now():
            return self.fail(
                _("The start passed before WeCom could create the meeting. Choose a new time."),
                field_name="meeting_start",
            )
        if not self.extend():
            return Result(BUSY, detail="lease lost")
        body, whole = _create_body(meeting)
        try:
            answer = self.call(CREATE, body)
        except WeComError as err:
            if err.errcode == DUPLICATE_CREATED:
                self.record(CREATE, body, SyncAttempt.Outcome.FAILED)
                return self.created_elsewhere([body, *lost], err)
            if err.errcode == CREATE_IN_FLIGHT:
                # Answered, but a create of the same meeting is under way and may yet
                # succeed: left unanswered, so that the next run looks for it first.
                self.record(CREATE, body, SyncAttempt.Outcome.RETRY)
                return self.wait_for_create(err)
            return self.failed_call(err)
        # What WeCom now holds, in the update body's shape (admin_userid is not part of it).
        state = {key: value for key, value in body.items() if key != "admin_userid"}
        return self.created(answer, state if whole else None)

    def created(self, answer, state):
        """Store WeCom's ID before anything else: from here on the meeting is updated, never
        created again. `state` is what WeCom now holds, or None when part of the meeting was
        held back for the next run (then WeCom's answer to get_info is the base)."""
        stored = Meeting.objects.filter(pk=self.pk, meetingid__isnull=True).update(
            meetingid=answer["meetingid"],
            meeting_code=answer.get("meeting_code") or "",
            meeting_link=answer.get("meeting_link") or "",
            excess_users=answer.get("excess_users") or [],
            synced_state=state,
        )
        self.meetingid = answer["meetingid"]
        self.record(CREATE, {}, SyncAttempt.Outcome.OK)
        if not stored:
            logger.error("meeting %s: created as %s but already had an ID", self.pk,
                         self.meetingid)
        logger.info("meeting %s: created in WeCom as %s", self.pk, self.meetingid)
        # One more run reads the meeting back: its occurrences, and anything held back.
        return self.moved_on()

    def created_elsewhere(self, bodies, err):
        """WeCom says the meeting exists (400302): ours, from a lost answer, or one made
        the same way by someone else. Either way it is the meeting meant; it is taken over."""
        try:
            found = self.find_created(bodies)
        except WeComError as search_err:
            return self.failed_call(search_err)
        if found:
            return self.adopt(*found)
        return self.fail(
            _("WeCom says this meeting already exists, but it is not among the organiser's "
              "meetings. Change the title or the start, or look for it in WeCom."),
            err=err,
        )

    def wait_for_create(self, err):
        if self.tries + 1 >= max_tries():
            return self.fail(err.message, err=err)
        delay = getattr(settings, "SYNC_CREATE_WAIT", 300)
        return self.reschedule(delay + random.uniform(0, delay / 10), message=err.message,
                               err=err)

    def unanswered_creates(self):
        """The bodies of creates that may have reached WeCom without an answer saying so."""
        return list(
            SyncAttempt.objects.filter(
                meeting_id=self.pk, path=CREATE, outcome=SyncAttempt.Outcome.RETRY
            ).values_list("request", flat=True)
        )

    def find_created(self, bodies):
        """(meetingid, get_info answer) of a meeting WeCom holds that one of these create
        bodies made: the organiser's, with that title and start, not yet known here."""
        wanted = {(b["title"], int(b["meeting_start"])) for b in bodies if b.get("title")}
        admin = self.meeting.admin_userid
        for start in sorted({start for _title, start in wanted}):
            for meetingid in self.user_meetingids(admin, start):
                if Meeting.objects.filter(meetingid=meetingid).exists():
                    continue
                info = self.call(GET_INFO, {"meetingid": meetingid})
                match = (
                    info.get("admin_userid") == admin
                    and (info.get("title"), int(info.get("meeting_start") or 0)) in wanted
                    and int(info.get("status") or 0) != Status.CANCELLED
                )
                self.record(
                    GET_INFO, {"meetingid": meetingid},
                    SyncAttempt.Outcome.OK if match else SyncAttempt.Outcome.NOTHING,
                )
                if match:
                    return meetingid, info
        return None

    def user_meetingids(self, userid, start):
        """The organiser's meetings around `start`, page by page (each page recorded)."""
        cursor = "0"
        while True:
            request = {
                "userid": userid, "cursor": cursor, "limit": 100,
                "begin_time": start, "end_time": start + USER_MEETINGIDS_SPAN,
            }
            page = self.call(USER_MEETINGIDS, request)
            self.record(USER_MEETINGIDS, request, SyncAttempt.Outcome.OK)
            yield from page.get("meetingid_list") or []
            following = page.get("next_cursor")
            if not following or following == cursor or not page.get("meetingid_list"):
                return
            cursor = following

    def adopt(self, meetingid, info):
        """Take WeCom's meeting as this one. Its state there becomes the base (synced_state
        None), so the next run sends whatever was decided here since."""
        try:
            with transaction.atomic():
                kept = self.keep(
                    meetingid=meetingid,
                    meeting_code=info.get("meeting_code") or "",
                    meeting_link=info.get("meeting_link") or "",
                    synced_state=None,
                )
        except IntegrityError:
            return self.fail(_("WeCom's copy of this meeting is already in this app."))
        if not kept:
            return Result(BUSY, detail="lease lost")
        self.meetingid = meetingid
        logger.info("meeting %s: found in WeCom as %s, created before", self.pk, meetingid)
        return self.moved_on()

    def cancel(self):
        request = {"meetingid": self.meetingid}
        if not self.extend():
            return Result(BUSY, detail="lease lost")
        try:
            self.send(CANCEL, request)
        except WeComError as err:
            return self.failed_call(err)
        self.keep(status=Status.CANCELLED)
        return self.confirmed(self.meeting.synced_state, excess_users=None)

    def not_scheduled(self, status, owed):
        """WeCom no longer has the meeting scheduled. News, not a failure, unless something
        decided here can now not be done."""
        lookup = {"meetingid": self.meetingid}
        done = not owed or (status == Status.CANCELLED and self.meeting.cancel_requested)
        self.record(
            GET_INFO, lookup, SyncAttempt.Outcome.NOTHING if done else SyncAttempt.Outcome.FAILED
        )
        with transaction.atomic():
            if self.keep(status=status) and status != self.meeting.status \
                    and not self.meeting.cancel_requested:
                audit.record(
                    AuditEvent.Action.IMPORT, meeting=Meeting.objects.get(pk=self.pk),
                    detail=TAKEN_IN,
                    changes=[{"field": "status", "old": self.meeting.status, "new": status}],
                )
        if done:
            return self.confirmed(self.meeting.synced_state, excess_users=None)
        return self.fail(_not_scheduled(status))

    def note_occurrences(self, info):
        occurrences = _occurrences(info)
        if occurrences is not None and occurrences != self.meeting.sub_meetings:
            self.keep(sub_meetings=occurrences)
            self.meeting.sub_meetings = occurrences

    def note_cancelled(self, sub_meetingid):
        for occurrence in self.meeting.sub_meetings:
            if occurrence["sub_meetingid"] == sub_meetingid:
                occurrence["status"] = Status.CANCELLED
        self.keep(sub_meetings=self.meeting.sub_meetings)

    # --- calls and their record ---

    def call(self, path, body):
        self._path, self._body = path, body
        self._started_at = timezone.now()
        self._started = time.monotonic()
        self._errcode, self._errmsg = None, ""
        self._attempt = None
        if path in WRITES:
            # Written before the call: should this worker die during it, the next run still
            # knows these values may have reached WeCom (see `merge`, `find_created`).
            self._attempt = SyncAttempt.objects.create(
                **self._attempt_fields(path, body), duration_ms=0,
                outcome=SyncAttempt.Outcome.RETRY,
            )
        try:
            answer = self.client.call(path, body)
        except WeComError as err:
            self._errcode, self._errmsg = err.errcode, str(err)
            raise
        finally:
            self._duration_ms = round((time.monotonic() - self._started) * 1000)
        self._errcode, self._errmsg = answer.get("errcode", 0), answer.get("errmsg", "")
        return answer

    def send(self, path, body):
        """A write that WeCom accepted, recorded as such; its errors go to the caller."""
        answer = self.call(path, body)
        self.record(path, body, SyncAttempt.Outcome.OK)
        return answer

    def _attempt_fields(self, path, body):
        return {
            "meeting_id": self.pk,
            "meetingid": self.meetingid or "",
            "version": self.version,
            "path": path,
            "started_at": self._started_at,
            "request": redact(body),
            "event_id": audit.causing_event_id(self.pk, self.version),
        }

    def record(self, path, body, outcome):
        result = {
            "duration_ms": self._duration_ms,
            "errcode": self._errcode,
            "errmsg": self._errmsg,
            "outcome": outcome,
        }
        if self._attempt is not None and path in WRITES:
            SyncAttempt.objects.filter(pk=self._attempt.pk).update(**result)
        else:
            SyncAttempt.objects.create(**self._attempt_fields(path, body), **result)

    def unconfirmed_sends(self):
        """The bodies of updates sent since the version WeCom last confirmed, a list sent
        with set_invitees as the invitees of an update."""
        rows = (
            SyncAttempt.objects.filter(
                meeting_id=self.pk, path__in=(UPDATE, SET_INVITEES),
                version__gt=self.meeting.synced_version,
            )
            .exclude(outcome=SyncAttempt.Outcome.OK)
            .values_list("path", "request")
        )
        return [
            {"invitees": {"userid": [i.get("userid") for i in request.get("invitees") or []]}}
            if path == SET_INVITEES else request
            for path, request in rows
        ]

    def failed_call(self, err):
        """Decide by the error's class; record the try (the last call made) with that
        decision."""
        path, body = self._path, self._body
        if isinstance(err, RateLimited):
            # Refused by the client before sending (the API is paused after a 45009, or its
            # share of WeCom's limit is spent): not a try, and a write's attempt says so.
            if self._attempt is not None:
                self.record(path, body, SyncAttempt.Outcome.NOTHING)
            delay = err.retry_after + random.uniform(0, min(err.retry_after, 5))
            return self.reschedule(delay, message=err.message, err=err, count=False)
        if isinstance(err, TokenError) and self.meeting.sync_errcode in TOKEN_ERRCODES:
            # The client refreshed and re-sent once already, and the previous try ended the
            # same way: a token WeCom keeps refusing is for an operator, not for more tries.
            self.record(path, body, SyncAttempt.Outcome.FAILED)
            return self.fail(
                _("WeCom keeps refusing this server's access token. "
                  "Ask an operator to check the WeCom app settings."),
                err=err,
            )
        if isinstance(err, TransientError | TokenError):
            if self.tries + 1 >= max_tries():
                self.record(path, body, SyncAttempt.Outcome.FAILED)
                return self.fail(
                    format_lazy(
                        _("The change did not reach WeCom after {tries} tries ({reason}). "
                          "Use Retry to send it again."),
                        tries=self.tries + 1,
                        reason=_short_reason(err),
                    ),
                    err=err,
                )
            self.record(path, body, SyncAttempt.Outcome.RETRY)
            delay = backoff(self.tries + 1)
            if err.retry_after:
                # WeCom said how long the block lasts: wait it out, spread a little so the
                # waiting meetings do not all come back in the same second.
                delay = err.retry_after + random.uniform(0, min(err.retry_after, delay))
            return self.reschedule(delay, message=err.message, err=err)
        if isinstance(err, ConfigurationError):
            logger.error("WeCom configuration problem: %s", err)
        self.record(path, body, SyncAttempt.Outcome.FAILED)
        field_name = err.field if isinstance(err, PermanentError) else None
        return self.fail(err.message, err=err, field_name=field_name)

    # --- writes under the lease ---

    def keep(self, **fields):
        return Meeting.objects.filter(pk=self.pk, lease_owner=self.owner).update(**fields)

    def extend(self):
        """Renew the lease before the update when less than half of it is left."""
        now = timezone.now()
        if self.meeting.lease_expires - now > timedelta(seconds=lease_seconds() / 2):
            return True
        return self.keep(lease_expires=now + timedelta(seconds=lease_seconds())) == 1

    def finish(self, if_current, if_moved):
        """Release the lease with the fields for the version this run read, or with
        `if_moved` when an edit arrived meanwhile. Returns the version now stored, or None
        when the lease was lost (another worker has taken over and decides)."""
        with transaction.atomic():
            row = (
                Meeting.objects.select_for_update()
                .filter(pk=self.pk, lease_owner=self.owner)
                .values("version")
                .first()
            )
            if row is None:
                return None
            fields = if_current if row["version"] == self.version else if_moved
            Meeting.objects.filter(pk=self.pk).update(lease_owner="", lease_expires=None, **fields)
            return row["version"]

    def confirmed(self, state, excess_users):
        fields = {
            "synced_state": state,
            "synced_version": self.version,
            "synced_at": timezone.now(),
            "conflict": {},
            **_clear_error(),
        }
        if excess_users is not None:
            fields["excess_users"] = excess_users
        current = self.finish(
            {**fields, "sync_state": SyncState.SYNCED},
            {**fields, "sync_state": SyncState.PENDING},
        )
        if current is None:
            return Result(BUSY, detail="lease lost")
        if current != self.version:
            # Edited while the call was out: WeCom has the version sent, the newer one
            # follows at once.
            return Result(AGAIN, retry_in=0)
        return Result(SYNCED)

    def fail(self, message, *, err=None, field_name=None):
        fields = {
            "sync_state": SyncState.FAILED,
            "sync_error": _words(message),
            "sync_error_field": field_name or "",
            "sync_errcode": err.errcode if err is not None else None,
            "sync_tries": F("sync_tries") + 1 if err is not None else F("sync_tries"),
            "next_attempt_at": None,
        }
        current = self.finish(fields, {"sync_state": SyncState.PENDING, "next_attempt_at": None})
        if current is not None and current != self.version:
            # A newer edit may well fix what WeCom refused: it gets its own run.
            return Result(AGAIN, retry_in=0)
        return Result(FAILED, detail=_words(message))

    def reschedule(self, delay, *, message=None, err=None, count=True):
        at = timezone.now() + timedelta(seconds=delay)
        fields = {"sync_state": SyncState.RETRYING, "next_attempt_at": at}
        if message is not None:
            fields["sync_error"] = _words(message)
            fields["sync_error_field"] = ""
            fields["sync_errcode"] = err.errcode if err is not None else None
        moved = dict(fields)
        if count:
            fields["sync_tries"] = F("sync_tries") + 1
            # A newer edit starts its own count (edit_meeting set it to 0).
            moved["sync_tries"] = 1
        self.finish(fields, moved)
        return Result(RETRY, retry_in=delay, detail=str(message or ""))

    def conflict(self, conflicts):
        current = self.finish(
            {"sync_state": SyncState.CONFLICT, "conflict": conflicts, "next_attempt_at": None,
             **_clear_error()},
            {"sync_state": SyncState.PENDING},
        )
        if current is not None and current != self.version:
            return Result(AGAIN, retry_in=0)
        return Result(CONFLICT, detail=", ".join(conflicts))

    def take_in(self, result):
        """Write the leaves changed only in WeCom into the desired state, unless an edit
        arrived since this run read it (then nothing is written and the run starts over).
        The version goes up, so that a form loaded before cannot silently put back the
        value WeCom just changed."""
        with transaction.atomic():
            meeting = (
                Meeting.objects.select_for_update(of=("self",))
                .select_related("settings", "reminders")
                .prefetch_related("participants")
                .filter(pk=self.pk, lease_owner=self.owner, version=self.version)
                .first()
            )
            if meeting is None:
                return False
            before = payloads.desired_body(meeting)
            payloads.apply_body(meeting, groups_of(result.body, result.taken))
            Meeting.objects.filter(pk=self.pk).update(version=F("version") + 1)
            meeting.refresh_from_db()
            # Nobody here made this change, but the record must show it: who changed what is
            # the auditors' question, and "someone in WeCom" is part of the answer.
            audit.record(
                AuditEvent.Action.IMPORT, meeting=meeting, detail=TAKEN_IN,
                changes=audit.change_rows(
                    payloads.changes(before, payloads.desired_body(meeting))
                ),
            )
        self.version += 1
        logger.info(
            "meeting %s: took in %s from WeCom", self.meeting.meetingid, ", ".join(result.taken)
        )
        return True

    def moved_on(self):
        self.finish({}, {})
        return Result(AGAIN, retry_in=0)

    def unexpected(self):
        message = _("An unexpected problem interrupted the sync. It will be tried again.")
        try:
            if self.tries + 1 >= max_tries():
                return self.fail(message)
            return self.reschedule(backoff(self.tries + 1), message=message)
        except Exception:
            logger.exception("meeting %s: could not record the interruption", self.pk)
            return Result(RETRY, retry_in=backoff(self.tries + 1))


def groups_of(body, taken):
    """The part of the merged body that carries the taken leaves, in the groups apply_body
    writes: settings and reminders whole (apply_body empties a settings list left out)."""
    part = {}
    for key in taken:
        if key == TIME:
            for name in payloads.TIME_FIELDS:
                part[name] = body[name]
        elif key.startswith(("settings.", "reminders.")):
            group = key.split(".", 1)[0]
            part[group] = body.get(group, {})
        else:
            part[key] = body.get(key)
    return part


def _owed(meeting):
    """Whether anything decided here has still to reach WeCom. A run for a meeting that owes
    nothing is a pull (a callback, a refresh): it only reads WeCom."""
    if meeting.cancel_requested or meeting.synced_state is None or _pending_cancels(meeting):
        return True
    mine, base = leaves(payloads.desired_body(meeting)), leaves(meeting.synced_state)
    return any(not same(mine.get(key, ABSENT), base.get(key, ABSENT)) for key in {*mine, *base})


def _pending_cancels(meeting):
    """The occurrences to cancel that WeCom still lists as scheduled. One that has started,
    ended or gone meanwhile is past cancelling, and its page says so."""
    wanted = set(meeting.cancel_sub_meetingids)
    return [
        occurrence["sub_meetingid"]
        for occurrence in meeting.sub_meetings
        if occurrence["sub_meetingid"] in wanted and occurrence["status"] == Status.SCHEDULED
    ]


def _occurrences(info):
    """get_info's sub_meetings as stored; None for a meeting that lists none."""
    subs = info.get("sub_meetings")
    if not subs:
        return None if int((info.get("reminders") or {}).get("is_repeat") or 0) else []
    return [
        {
            "sub_meetingid": str(sub.get("sub_meetingid")),
            "start": int(sub.get("start_time") or 0),
            "end": int(sub.get("end_time") or 0),
            "status": int(sub.get("status") or Status.SCHEDULED),
        }
        for sub in subs
    ]


def _with_admin(userids, admin):
    """The list as WeCom holds it: the admin always takes part."""
    if admin.lower() in {userid.lower() for userid in userids}:
        return list(userids)
    return [admin, *userids]


def _over_cap(userids, admin):
    return len(_with_admin(userids, admin)) > rules.configured_invitee_cap()


def _create_body(meeting):
    """The create call's body, and whether it is the whole meeting. Past the cap, the
    invitees (and the hosts and ringing members, who must be among them) are held back for
    the next run, which sends them with set_invitees and an update."""
    body = {**payloads.desired_body(meeting), "admin_userid": meeting.admin_userid}
    if not _over_cap(body["invitees"]["userid"], meeting.admin_userid):
        return body, True
    del body["invitees"]
    body["settings"] = {
        name: value for name, value in body["settings"].items()
        if name not in payloads.SETTINGS_LISTS
    }
    return body, False


def _synced_fields():
    return {"sync_state": SyncState.SYNCED, "next_attempt_at": None, **_clear_error()}


def _clear_error():
    return {
        "sync_error": "",
        "sync_error_field": "",
        "sync_errcode": None,
        "sync_tries": 0,
        "next_attempt_at": None,
    }


def _not_scheduled(status):
    return format_lazy(
        _("The meeting is no longer scheduled in WeCom ({status}), so it cannot be changed."),
        status=Status.label_of(status),
    )


def _words(message):
    """The message as stored for the pages: a worker has no request and so no language of
    its own; the site's language is the administrators' language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def _short_reason(err):
    if err.errcode is None:
        return err.description
    return f"errcode {err.errcode}"


# --- the sweep ---------------------------------------------------------------------------------


def sweep(now=None):
    """Free the leases of dead workers and list the meetings that need a run now: desired
    version ahead of the confirmed one, not waiting for a person (failed, conflict), due,
    and claimed by nobody. A lost message, a broker that was down at save time or a killed
    worker all end here."""
    now = now or timezone.now()
    expired = Q(lease_expires__lte=now)
    recovered = Meeting.objects.filter(expired, sync_state=SyncState.SYNCING).update(
        lease_owner="", lease_expires=None, sync_state=SyncState.PENDING
    )
    Meeting.objects.filter(expired).update(lease_owner="", lease_expires=None)
    if recovered:
        logger.warning("sweep: %d meetings were left by a worker that stopped", recovered)
    due = (
        Meeting.objects.filter(version__gt=F("synced_version"))
        .exclude(sync_state__in=(SyncState.FAILED, SyncState.CONFLICT))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(lease_expires__isnull=True) | Q(lease_expires__lte=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )
    return list(due)
