"""Calls to WeCom and their record: every call leaves one SyncAttempt row and returns an
Attempt, which carries the answer or the error. Nothing is left behind on a shared object
for a later step to read.

A write's row is stored before it is sent; a read's row, and a write's answer, wait in memory
and are stored with the next write's row or by the run's ending (`Caller.write`), in one
statement with the others: a read changes nothing in WeCom, and a write's row says until then
that the call may have reached WeCom, which is all a run that stops in between knows. A run
costs a query less for each."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from wecom.client import Done, WeComClient, get_client
from wecom.errors import WeComError

from ..models import SyncAttempt
from ..rows import store_all, update_columns
from .merge import REDACTED
from .plan import CANCEL, CREATE, SET_INVITEES, UPDATE, WRITES

SECRET_SETTINGS = ("password", "host_key")
# What a call's row learns once the call is answered; what was sent is never written over.
ANSWER = ("duration_ms", "errcode", "errmsg", "outcome")
Outcome = SyncAttempt.Outcome


def redact(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of a request body fit for the attempts record: no password, no host key."""
    body = copy.deepcopy(body)
    group = body.get("settings")
    if isinstance(group, dict):
        for name in SECRET_SETTINGS:
            if group.get(name) not in (None, ""):
                group[name] = REDACTED
    return body


@dataclass
class Attempt:
    row: SyncAttempt
    # Empty when the call failed.
    answer: dict[str, Any] = field(default_factory=dict)
    error: WeComError | None = None

    @property
    def pk(self) -> int | None:
        """The row's pk; None for a read whose row is not stored yet."""
        return self.row.pk

    @property
    def path(self) -> str:
        return self.row.path

    @property
    def ok(self) -> bool:
        return self.error is None

    def mark(self, outcome: str) -> None:
        """Say how the run ended for this call (a read that found nothing to do, a try that
        will be repeated…)."""
        if self.row.pk is None:
            self.row.outcome = outcome
        else:
            update_columns(self.row, outcome=outcome)


class CallFailed(Exception):
    """A call WeCom did not answer as asked; the run ends as `policy` decides."""

    def __init__(self, attempt: Attempt) -> None:
        super().__init__(str(attempt.error))
        self.attempt = attempt


# The calls a plan lists, (path, body), made with the client's typed method for each.
_PLANNED: dict[str, Callable[[WeComClient, dict[str, Any]], dict[str, Any]]] = {
    UPDATE: lambda wecom, body: wecom.meeting_update(body),
    CANCEL: lambda wecom, body: wecom.meeting_cancel(body["meetingid"], body.get("sub_meetingid")),
    SET_INVITEES: lambda wecom, body: wecom.meeting_set_invitees(
        body["meetingid"], [invitee["userid"] for invitee in body["invitees"]]
    ),
}


class Caller:
    """Makes the calls of one run for one meeting, at one desired version, through the
    client's typed methods: `need(lambda wecom: wecom.meeting_get_info(meetingid))`. The
    client tells it of each request it sends (`WeComClient.observed`), which is recorded."""

    def __init__(
        self,
        meeting_pk: int,
        version: int,
        event_id: int | None,
        client: WeComClient | None = None,
    ) -> None:
        self.meeting_pk = meeting_pk
        self.version = version
        # The audit event the attempts carry (`audit.causing_event`), or None.
        self.event_id = event_id
        self.meetingid = ""
        self._client = client
        self._observed: WeComClient | None = None
        # The attempt of the request the client sent last.
        self._last: Attempt | None = None
        # Rows of calls answered and not stored yet (reads; writes stored unanswered before
        # they went out), in the order of the answers.
        self._unwritten: list[SyncAttempt] = []

    @property
    def client(self) -> WeComClient:
        if self._observed is None:
            self._observed = (self._client or get_client()).observed(self._record)
        return self._observed

    def call(self, send: Callable[[WeComClient], dict[str, Any]]) -> Attempt:
        """One typed call, `send(client)`: its Attempt, with the answer or the WeComError."""
        self._last = None
        try:
            answer = send(self.client)
        except WeComError as error:
            if self._last is None:
                raise
            self._last.error = error
            return self._last
        # The client told _record of the request before it returned.
        assert self._last is not None
        self._last.answer = answer
        return self._last

    def need(self, send: Callable[[WeComClient], dict[str, Any]]) -> Attempt:
        """A call whose failure ends the run: its Attempt, or CallFailed."""
        attempt = self.call(send)
        if not attempt.ok:
            raise CallFailed(attempt)
        return attempt

    def planned(self, path: str, body: dict[str, Any]) -> Attempt:
        """A call as a plan lists it (`Plan.calls`), which must succeed."""
        return self.need(lambda wecom: _PLANNED[path](wecom, body))

    def each(self, send: Callable[[WeComClient], Iterator[str]]) -> Iterator[str]:
        """The items of a paged typed call, `send(client)`, each page recorded; a page
        that fails raises CallFailed."""
        try:
            yield from send(self.client)
        except WeComError as error:
            if self._last is None:
                raise
            self._last.error = error
            raise CallFailed(self._last) from None

    def write(self) -> None:
        """Store the rows of the calls not stored yet, and the answers of the writes, in one
        statement (none when there are none). The ending calls it in its transaction,
        before the settlement that names them; the run calls it once more on its way out,
        for a run that ended otherwise."""
        if self._unwritten:
            store_all(self._unwritten, changed=ANSWER)
            self._unwritten = []

    def _record(self, path: str, body: dict[str, Any]) -> Done:
        """Told by the client before each request. A write's row is stored before it is
        sent (with the reads before it): should this worker die during the call, the next
        run still knows these values may have reached WeCom. Its answer (OK or FAILED) is
        stored with the next rows; the run re-marks it when its ending says more (retry,
        nothing)."""
        started, row = time.monotonic(), self._row(path, body)
        if path in WRITES:
            row.outcome = Outcome.RETRY
            self._unwritten.append(row)
            self.write()

        def done(answer: dict[str, Any] | None, error: WeComError | None) -> None:
            answer = answer or {}
            row.duration_ms = round((time.monotonic() - started) * 1000)
            row.errcode = error.errcode if error else answer.get("errcode", 0)
            row.errmsg = str(error) if error else answer.get("errmsg", "")
            row.outcome = Outcome.FAILED if error else Outcome.OK
            self._unwritten.append(row)
            self._last = Attempt(row, answer, error)

        return done

    def _row(self, path: str, body: dict[str, Any]) -> SyncAttempt:
        return SyncAttempt(
            meeting_id=self.meeting_pk,
            meetingid=self.meetingid or "",
            version=self.version,
            path=path,
            started_at=timezone.now(),
            duration_ms=0,
            request=redact(body),
            event_id=self.event_id,
        )


def unconfirmed_sends(meeting_pk: int, since_version: int) -> list[dict[str, Any]]:
    """The bodies of updates sent since the version WeCom last confirmed, answered or not (a
    read-back that failed leaves an accepted update unconfirmed), a list sent with
    set_invitees as the invitees of an update."""
    rows = SyncAttempt.objects.filter(
        meeting_id=meeting_pk,
        path__in=(UPDATE, SET_INVITEES),
        version__gt=since_version,
    ).values_list("path", "request")
    return [
        {"invitees": {"userid": [i.get("userid") for i in request.get("invitees") or []]}}
        if path == SET_INVITEES
        else request
        for path, request in rows
    ]


def unanswered_creates(meeting_pk: int) -> list[dict[str, Any]]:
    """The bodies of creates that may have reached WeCom without an answer saying so."""
    return list(
        SyncAttempt.objects.filter(
            meeting_id=meeting_pk, path=CREATE, outcome=Outcome.RETRY
        ).values_list("request", flat=True)
    )
