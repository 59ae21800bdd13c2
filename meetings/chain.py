"""The audit record as a hash chain.

Each event's hash covers what it says and the hash of the event before it (by id), so that
whoever writes the table behind the application's back (a changed row, a deleted one, one
slipped in) leaves a break that `manage.py verify_audit` names. The chain is only as good as
a copy of its head kept elsewhere: verify_audit prints it.

Nothing here imports the models: AuditEvent.save seals each new event with `sealed`, and
migration 0008 chains the events stored before it with `chain_hash`.
"""

import hashlib
import ipaddress
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC

from django.db import connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

GENESIS = "0" * 64
# pg_advisory_xact_lock key ("meet" in ASCII): held from reading the chain's last hash to the
# commit of the transaction that appends after it, so concurrent writers (web threads, worker
# processes) line up instead of forking the chain. SQLite serialises writers by itself.
CHAIN_LOCK = 0x6D656574


def chain_content(event):
    """What an event's hash covers, normalised as the database gives it back. The batch an
    event belongs to joined later: it counts only when set, so older events keep their hash."""
    content = {
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "meeting_id": event.meeting_id,
        "meetingid": event.meetingid,
        "title": event.title,
        "version": event.version,
        "changes": json.loads(json.dumps(event.changes)),
        "source_ip": str(ipaddress.ip_address(event.source_ip)) if event.source_ip else None,
        "outcome": event.outcome,
        "detail": event.detail,
        "settles_id": event.settles_id,
        "prev_hash": event.prev_hash,
    }
    batch_id = getattr(event, "batch_id", None)
    if batch_id is not None:
        content["batch_id"] = batch_id
    return content


def chain_hash(event):
    content = json.dumps(
        chain_content(event), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(content.encode()).hexdigest()


@contextmanager
def sealed(event, using="default"):
    """Link a new event to the chain's last one and seal it, in one transaction with its
    INSERT (the `with` body), under the chain's lock."""
    with sealed_all([event], using=using):
        yield event


def head_sql(model, using="default"):
    """The SQL, with its parameters, of the chain's head (its last event's hash and date) as
    one JSON text, read under the chain's lock: for a statement of the transaction that
    appends after it (`head_of` decodes it)."""
    table = connections[using].ops.quote_name(model._meta.db_table)
    if connections[using].vendor == "postgresql":
        # The lock, then the head read after it, in one statement (migration 0015).
        return (
            "(SELECT json_build_array(head_hash, head_at)::text FROM meetings_auditevent_head(%s))",
            [CHAIN_LOCK],
        )
    return f"(SELECT json_array(hash, at) FROM {table} ORDER BY id DESC LIMIT 1)", []  # noqa: S608


def head_of(text):
    """(hash, date) of the head `head_sql` read; (GENESIS, None) for an empty chain."""
    if text is None:
        return GENESIS, None
    hash_, written = json.loads(text)
    at = parse_datetime(written)
    assert at is not None, written
    # SQLite keeps UTC without saying so.
    return hash_ or GENESIS, at if timezone.is_aware(at) else at.replace(tzinfo=UTC)


@contextmanager
def sealed_all(events, using="default", head=None):
    """Link new events, in their order, after the chain's last one and seal each, in one
    transaction with their INSERT (the `with` body, which must insert them in this order:
    `rows.store_all` does), under the chain's lock. `head` is the chain's head (`head_of`)
    when a statement of this transaction has read it already."""
    # No savepoint of its own: an event that cannot be written fails the action with it.
    with transaction.atomic(using=using, savepoint=False):
        if head is None:
            sql, params = head_sql(type(events[0]), using)
            with connections[using].cursor() as cursor:
                cursor.execute(f"SELECT {sql}", params)
                head = head_of(cursor.fetchone()[0])
        prev_hash, prev_at = head
        for event in events:
            event.prev_hash = prev_hash
            # Times only go forward along the chain, so an event dated before the one it
            # follows is out of place by construction.
            event.at = event.at or timezone.now()
            if prev_at is not None:
                event.at = max(event.at, prev_at)
            event.hash = chain_hash(event)
            prev_hash, prev_at = event.hash, event.at
        yield events


@dataclass
class ChainBreak:
    pk: int
    message: str


@dataclass
class ChainReport:
    count: int
    head: str
    broken: ChainBreak | None


def verify_chain(events):
    """Walk events in id order and return the first that does not fit: changed (its hash no
    longer matches), inserted (it comes between an event and the one chained to it, or has no
    hash, or is dated before the one it follows) or missing (an event chains to a hash that no
    stored event has)."""
    order: list[int] = []
    positions: dict[str, int] = {}
    previous = None
    for event in events:
        expected_prev = previous.hash if previous else GENESIS
        if not event.hash:
            return ChainReport(
                len(order),
                expected_prev,
                ChainBreak(
                    event.pk,
                    f"event {event.pk} has no hash: it was inserted behind the application's back",
                ),
            )
        if event.hash != chain_hash(event):
            return ChainReport(
                len(order),
                expected_prev,
                ChainBreak(
                    event.pk,
                    f"event {event.pk} no longer matches its hash: it was changed "
                    f"after it was written",
                ),
            )
        if event.prev_hash != expected_prev:
            if event.prev_hash in positions:
                inserted = order[positions[event.prev_hash] + 1]
                return ChainReport(
                    len(order),
                    expected_prev,
                    ChainBreak(
                        inserted,
                        f"event {inserted} was inserted: event {event.pk} follows "
                        f"event {order[positions[event.prev_hash]]}, not it",
                    ),
                )
            if previous is None:
                words = f"an event is missing before event {event.pk} (the first ones)"
            else:
                # Or the event before was rewritten together with a fresh hash of its own.
                words = (
                    f"an event is missing before event {event.pk} (after event "
                    f"{previous.pk}), or event {previous.pk} was rewritten"
                )
            return ChainReport(len(order), expected_prev, ChainBreak(event.pk, words))
        if previous is not None and event.at < previous.at:
            return ChainReport(
                len(order),
                expected_prev,
                ChainBreak(
                    event.pk,
                    f"event {event.pk} is dated before event {previous.pk}, which it "
                    f"follows: it was inserted",
                ),
            )
        positions[event.hash] = len(order)
        order.append(event.pk)
        previous = event
    return ChainReport(len(order), previous.hash if previous else GENESIS, None)
