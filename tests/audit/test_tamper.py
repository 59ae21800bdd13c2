"""The record against someone who can reach the database: the app's own role may only read and
append; the owner can set the triggers aside, and then the hash chain names what was done."""

import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from meetings import chain
from meetings.actions import account as account_actions
from meetings.models import AuditEvent
from tests.fixtures.audit_flush import OWNER, as_owner, migration

TABLE = AuditEvent._meta.db_table
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="roles and rights are PostgreSQL's"
)


def verify(*args):
    """verify_audit's verdict: its line on success, the error's words on a break."""
    try:
        call_command("verify_audit", *args, stdout=_Sink())
    except CommandError as err:
        return str(err)
    return "intact"


class _Sink:
    def write(self, text):
        pass


def statement(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def as_owner_without_triggers(*sqls):
    """What an owner who wants to rewrite the record does: set the triggers aside."""
    with as_owner(connection), transaction.atomic():
        if connection.vendor == "postgresql":
            statement(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
            for sql, params in sqls:
                statement(sql, params)
            statement(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
        else:
            for name in migration.SQLITE_TRIGGERS:
                statement(f"DROP TRIGGER IF EXISTS {name}")
            for sql, params in sqls:
                statement(sql, params)
            for sql in migration.SQLITE_TRIGGERS.values():
                statement(sql)


@pytest.fixture
def events(people):
    admin = people["administrator"]
    return [account_actions.record_login(admin, source_ip=f"10.0.0.{n}") for n in range(1, 6)]


@pytest.mark.django_db
def test_each_event_is_chained_to_the_one_before(events):
    stored = list(AuditEvent.objects.order_by("pk"))
    assert stored[0].prev_hash == chain.GENESIS
    for before, event in zip(stored, stored[1:], strict=False):
        assert event.prev_hash == before.hash
        assert event.hash == chain.chain_hash(event)
    assert verify() == "intact"


@pytest.mark.django_db
def test_verify_audit_checks_an_earlier_head_is_still_in_the_chain(events):
    head = AuditEvent.objects.order_by("-pk").first().hash
    account_actions.record_login(events[0].actor)

    assert verify("--head", head) == "intact"
    assert "does not pass through" in verify("--head", "f" * 64)


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET detail = 'x'",
        f"DELETE FROM {TABLE}",
        f"TRUNCATE {TABLE}",
        f"ALTER TABLE {TABLE} DISABLE TRIGGER USER",
        f"ALTER TABLE {TABLE} DISABLE TRIGGER meetings_auditevent_append_only",
        f"DROP TRIGGER meetings_auditevent_append_only ON {TABLE}",
        f"ALTER TABLE {TABLE} ADD COLUMN note text",
        f"DROP TABLE {TABLE}",
        "SET session_replication_role = replica",
        "ALTER FUNCTION meetings_append_only() RENAME TO gone",
        "CREATE OR REPLACE FUNCTION meetings_append_only() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN NEW; END $$",
        "UPDATE meetings_syncattempt SET request = '{}'",
        "DELETE FROM meetings_syncattempt",
        "TRUNCATE meetings_syncattempt",
    ],
)
def test_the_app_role_is_refused_each_way_of_rewriting_the_record(events, sql):
    assert connection.settings_dict["USER"] != OWNER["USER"]  # the tests run as the app role
    before = AuditEvent.objects.count()
    with pytest.raises(DatabaseError) as refusal, transaction.atomic():
        statement(sql)
    assert "permission denied" in str(refusal.value) or "must be owner" in str(refusal.value)
    assert AuditEvent.objects.count() == before


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET detail = 'x'",
        f"DELETE FROM {TABLE}",
        f"TRUNCATE {TABLE}",
    ],
)
def test_the_triggers_refuse_the_owner_too_and_the_old_flush_switch_is_gone(events, sql):
    before = AuditEvent.objects.count()
    with as_owner(connection):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement("SET LOCAL meetings.audit_flush = 'on'")
            statement(sql)
        assert AuditEvent.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_the_triggers_survive_every_migration():
    if connection.vendor == "postgresql":
        sql = (
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'O' "
            "AND tgrelid IN ('meetings_auditevent'::regclass, 'meetings_syncattempt'::regclass)"
        )
        wanted = {
            "meetings_auditevent_append_only",
            "meetings_auditevent_no_truncate",
            "meetings_syncattempt_no_delete",
            "meetings_syncattempt_sent_fixed",
            "meetings_syncattempt_no_truncate",
        }
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        wanted = set(migration.SQLITE_TRIGGERS)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        assert {row[0] for row in cursor.fetchall()} >= wanted


@pytest.mark.audit_tampered
@pytest.mark.django_db(transaction=True)
def test_verify_audit_names_an_event_the_owner_changed(events):
    target = events[2]
    as_owner_without_triggers(
        (f"UPDATE {TABLE} SET source_ip = %s WHERE id = %s", ["203.0.113.9", target.pk])
    )

    assert f"event {target.pk} no longer matches its hash" in verify()


@pytest.mark.audit_tampered
@pytest.mark.django_db(transaction=True)
def test_verify_audit_names_where_the_owner_deleted_an_event(events):
    as_owner_without_triggers((f"DELETE FROM {TABLE} WHERE id = %s", [events[2].pk]))

    assert (
        f"an event is missing before event {events[3].pk} (after event {events[1].pk})" in verify()
    )


@pytest.mark.audit_tampered
@pytest.mark.django_db(transaction=True)
def test_verify_audit_names_an_event_inserted_in_the_middle(events):
    # A well-formed event chained to the second one, squeezed in with a higher id: the one
    # that really followed the second no longer follows its predecessor.
    forged = AuditEvent(
        actor_username="wang.admin",
        action="login",
        at=events[1].at,
        outcome="ok",
        prev_hash=events[1].hash,
        changes=[],
        detail="",
        title="",
        meetingid="",
    )
    forged.hash = chain.chain_hash(forged)
    as_owner_without_triggers(
        (f"UPDATE {TABLE} SET id = id + 1000 WHERE id > %s", [events[1].pk]),
        (
            f"INSERT INTO {TABLE} (id, actor_username, action, meetingid, title, at, changes, "
            "outcome, detail, prev_hash, hash) "
            "VALUES (%s, %s, %s, '', '', %s, '[]', 'ok', '', %s, %s)",
            [
                events[1].pk + 500,
                forged.actor_username,
                forged.action,
                forged.at,
                forged.prev_hash,
                forged.hash,
            ],
        ),
    )

    assert f"event {events[1].pk + 500} was inserted" in verify()


@pytest.mark.audit_tampered
@pytest.mark.django_db(transaction=True)
def test_verify_audit_names_a_back_dated_event_appended_with_a_good_hash(events):
    # The app role may INSERT: someone holding its password appends a perfectly chained
    # event dated last week. Times only go forward along the chain, so it stands out.
    forged = AuditEvent(
        actor_username="li.audit",
        action="login",
        at=events[0].at - timedelta(days=7),
        outcome="ok",
        prev_hash=events[-1].hash,
        changes=[],
        detail="",
        title="",
        meetingid="",
    )
    forged.hash = chain.chain_hash(forged)
    statement(
        f"INSERT INTO {TABLE} (actor_username, action, meetingid, title, at, changes, outcome, "
        "detail, prev_hash, hash) VALUES (%s, %s, '', '', %s, '[]', 'ok', '', %s, %s)",
        [forged.actor_username, forged.action, forged.at, forged.prev_hash, forged.hash],
    )
    forged_pk = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    assert f"event {forged_pk} is dated before event {events[-1].pk}" in verify()


@pytest.mark.audit_tampered
@pytest.mark.django_db(transaction=True)
def test_verify_audit_names_an_event_inserted_without_a_hash(events):
    statement(
        f"INSERT INTO {TABLE} (actor_username, action, meetingid, title, at, changes, outcome, "
        "detail) VALUES ('root', 'login', '', '', %s, '[]', 'ok', '')",
        [events[-1].at],
    )
    forged_pk = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    assert f"event {forged_pk} has no hash" in verify()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_append_one_chain(people):
    """Eight threads, each with its own database connection, writing at once."""
    admin = people["administrator"]
    errors = []

    def write():
        try:
            for _ in range(10):
                account_actions.record_login(admin)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert AuditEvent.objects.filter(action="login").count() == 80
    assert verify() == "intact"
