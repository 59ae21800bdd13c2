"""A run's claim on one meeting, kept in the meeting's own row: one worker at a time works on
a meeting, and a worker that dies loses its claim when the lease runs out."""

import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from .. import settle
from ..models import Meeting, SyncState
from ..rows import update_where, where_sql

logger = logging.getLogger("meetings.sync")


def lease_seconds() -> int:
    """How long a claim lasts. It must outlive one call to WeCom, a token refresh and the
    re-send after it, so that a live worker never loses its claim in the middle of a call
    (the default in config/settings.py is counted from the WeCom timeouts)."""
    return settings.SYNC_LEASE_SECONDS


def new_owner() -> str:
    """A claim's owner: unique per run, and naming the host and process for an operator."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"


def claim(pk: int, owner: str, now: datetime, *, settled: bool = False) -> bool:
    """Take the meeting's lease, or return False when someone holds an unexpired one (or,
    with `settled`, when saves are still coming in: `settle.settled`). One conditional
    UPDATE, so that two workers can never both succeed. A meeting on its way to WeCom shows
    as syncing from here; one waiting for a person keeps its state."""
    # Written out (`meetings.rows`): every run starts here, and the ORM spent three quarters
    # of the claim's cost building the statement.
    using = connections[DEFAULT_DB_ALIAS]
    quote, expires = using.ops.quote_name, Meeting._meta.get_field("lease_expires")
    sql = (
        f"UPDATE {quote(Meeting._meta.db_table)} SET lease_owner = %s, lease_expires = %s, "  # noqa: S608
        "sync_state = CASE WHEN sync_state IN (%s, %s) THEN %s ELSE sync_state END "
        "WHERE id = %s AND (lease_expires IS NULL OR lease_expires <= %s OR lease_owner = %s)"
    )
    params = [
        owner,
        expires.get_db_prep_save(now + timedelta(seconds=lease_seconds()), using),
        SyncState.PENDING,
        SyncState.RETRYING,
        SyncState.SYNCING,
        pk,
        expires.get_db_prep_save(now, using),
        owner,
    ]
    if settled:
        condition, values = where_sql(Meeting, settle.settled())
        sql += f" AND {condition}"
        params += values
    with using.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


class Lease:
    def __init__(self, pk: int, owner: str) -> None:
        self.pk = pk
        self.owner = owner
        self.expires = timezone.now() + timedelta(seconds=lease_seconds())

    def keep(self, **fields: Any) -> bool:
        """Write `fields` while the claim is still ours; False when it was lost."""
        return Meeting.objects.filter(pk=self.pk, lease_owner=self.owner).update(**fields) == 1

    def extend(self) -> bool:
        """Renew the lease before a write when less than half of it is left."""
        now = timezone.now()
        if self.expires - now > timedelta(seconds=lease_seconds() / 2):
            return True
        self.expires = now + timedelta(seconds=lease_seconds())
        return self.keep(lease_expires=self.expires)

    def release(
        self,
        version: int,
        if_current: dict[str, Any],
        if_moved: dict[str, Any],
        then: Callable[[int, tuple | None], object] | None = None,
        returning: tuple[str, Sequence[Any]] = ("", ()),
    ) -> int | None:
        """Release with the fields for the version this run read, or with `if_moved` when an
        edit arrived meanwhile. `then(stored_version, returned)` runs in the same
        transaction, so that whoever reads the meeting's new state reads what goes with it
        (the record's settlements); `returned` holds what the SQL of `returning` gave on the
        released row when it was the version read, in the same statement, and is None
        otherwise. Returns the version now stored, or None when the lease was lost (another
        worker has taken over and decides)."""
        # Part of the ending's transaction when it has one (no savepoint of its own).
        with transaction.atomic(savepoint=False):
            # Most runs end on the version they read: one conditional UPDATE, which holds the
            # row until the commit as the lock below would.
            fields = {"lease_owner": "", "lease_expires": None, **if_current}
            returned = update_where(
                Meeting, fields, returning, pk=self.pk, lease_owner=self.owner, version=version
            )
            if returned is not None:
                if then is not None:
                    then(version, returned if returning[0] else None)
                return version
            row = (
                Meeting.objects.select_for_update()
                .filter(pk=self.pk, lease_owner=self.owner)
                .values("version")
                .first()
            )
            if row is None:
                return None
            fields = if_current if row["version"] == version else if_moved
            Meeting.objects.filter(pk=self.pk).update(lease_owner="", lease_expires=None, **fields)
            if then is not None:
                then(row["version"], None)
            return row["version"]


def sweep(now: datetime | None = None) -> list[int]:
    """Free the leases of dead workers and list the meetings that need a run now: desired
    version ahead of the confirmed one (or a pull asked for), not waiting for a person
    (failed, conflict), due, and claimed by nobody. A lost message, a broker that was down at
    save time or a killed worker all end here."""
    now = now or timezone.now()
    expired = Q(lease_expires__lte=now)
    recovered = Meeting.objects.filter(expired, sync_state=SyncState.SYNCING).update(
        lease_owner="", lease_expires=None, sync_state=SyncState.PENDING
    )
    Meeting.objects.filter(expired).update(lease_owner="", lease_expires=None)
    if recovered:
        logger.warning("sweep: %d meetings were left by a worker that stopped", recovered)
    due = (
        Meeting.objects.filter(Q(version__gt=F("synced_version")) | Q(pull_requested=True))
        .exclude(sync_state__in=(SyncState.FAILED, SyncState.CONFLICT))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(lease_expires__isnull=True) | Q(lease_expires__lte=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )
    return list(due)
