"""Calls to WeCom and their record: every call leaves one SyncAttempt row and returns an
Attempt, which carries the answer or the error. Nothing is left behind on a shared object
for a later step to read."""

import copy
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from wecom.client import WeComClient, get_client
from wecom.errors import WeComError

from .. import audit
from ..models import SyncAttempt
from .merge import REDACTED
from .plan import CREATE, SET_INVITEES, UPDATE, WRITES

SECRET_SETTINGS = ("password", "host_key")
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
    pk: int
    path: str
    # Empty when the call failed.
    answer: dict[str, Any] = field(default_factory=dict)
    error: WeComError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def mark(self, outcome: str) -> None:
        """Say how the run ended for this call (a read that found nothing to do, a try that
        will be repeated…)."""
        SyncAttempt.objects.filter(pk=self.pk).update(outcome=outcome)


class CallFailed(Exception):
    """A call WeCom did not answer as asked; the run ends as `policy` decides."""

    def __init__(self, attempt: Attempt) -> None:
        super().__init__(str(attempt.error))
        self.attempt = attempt


class Caller:
    """Makes the calls of one run for one meeting, at one desired version."""

    def __init__(self, meeting_pk: int, version: int, client: WeComClient | None = None) -> None:
        self.meeting_pk = meeting_pk
        self.version = version
        self.meetingid = ""
        self._client = client

    @property
    def client(self) -> WeComClient:
        if self._client is None:
            self._client = get_client()
        return self._client

    def call(self, path: str, body: dict[str, Any]) -> Attempt:
        """One call. A write's row is written before the call: should this worker die during
        it, the next run still knows these values may have reached WeCom. The row ends as OK
        or FAILED here; the run re-marks it when its ending says more (retry, nothing)."""
        started_at, started = timezone.now(), time.monotonic()
        row = None
        if path in WRITES:
            row = self._row(path, body, started_at, outcome=Outcome.RETRY)
        answer: dict[str, Any] | None = None
        error: WeComError | None = None
        try:
            answer = self.client.call(path, body)
        except WeComError as err:
            error = err
        result = {
            "duration_ms": round((time.monotonic() - started) * 1000),
            "errcode": error.errcode if error else (answer or {}).get("errcode", 0),
            "errmsg": str(error) if error else (answer or {}).get("errmsg", ""),
            "outcome": Outcome.FAILED if error else Outcome.OK,
        }
        if row is None:
            row = self._row(path, body, started_at, **result)
        else:
            SyncAttempt.objects.filter(pk=row.pk).update(**result)
        return Attempt(row.pk, path, answer or {}, error)

    def need(self, path: str, body: dict[str, Any]) -> Attempt:
        """A call whose failure ends the run: its Attempt, or CallFailed."""
        attempt = self.call(path, body)
        if not attempt.ok:
            raise CallFailed(attempt)
        return attempt

    def _row(
        self, path: str, body: dict[str, Any], started_at: datetime, **fields: Any
    ) -> SyncAttempt:
        fields.setdefault("duration_ms", 0)
        return SyncAttempt.objects.create(
            meeting_id=self.meeting_pk,
            meetingid=self.meetingid or "",
            version=self.version,
            path=path,
            started_at=started_at,
            request=redact(body),
            event_id=audit.causing_event_id(self.meeting_pk, self.version),
            **fields,
        )


def unconfirmed_sends(meeting_pk: int, since_version: int) -> list[dict[str, Any]]:
    """The bodies of updates sent since the version WeCom last confirmed, answered or not (a
    read-back that failed leaves an accepted update unconfirmed), a list sent with
    set_invitees as the invitees of an update."""
    rows = (
        SyncAttempt.objects.filter(
            meeting_id=meeting_pk, path__in=(UPDATE, SET_INVITEES), version__gt=since_version,
        )
        .values_list("path", "request")
    )
    return [
        {"invitees": {"userid": [i.get("userid") for i in request.get("invitees") or []]}}
        if path == SET_INVITEES else request
        for path, request in rows
    ]


def unanswered_creates(meeting_pk: int) -> list[dict[str, Any]]:
    """The bodies of creates that may have reached WeCom without an answer saying so."""
    return list(
        SyncAttempt.objects.filter(
            meeting_id=meeting_pk, path=CREATE, outcome=Outcome.RETRY
        ).values_list("request", flat=True)
    )
