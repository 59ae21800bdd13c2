"""The database itself keeps the record append-only.

Audit events: every UPDATE and DELETE is refused, whoever sends it (ORM, raw SQL, a shell).
Sync attempts: never deleted, and what was sent (meeting, version, call, time, request, the
causing event) never changed; only the answer columns may be written, because the worker
creates the row of an update before the call and fills in WeCom's answer after it.

The one way around is emptying the whole table the way Django's test flush does, between
tests: on PostgreSQL a TRUNCATE in a transaction that has set `meetings.audit_flush` to on;
on SQLite a DELETE on a connection whose `audit_flush_allowed` flag is set, which only the
test suite's flush sets (see meetings.audit.register_sqlite_functions). A sqlite3 shell that
lacks the function is refused too. Whoever may drop triggers can of course drop these: they
guard the record against the application and mistakes, not against the database's owner.
"""

from django.db import migrations

MESSAGE = "audit records are append-only"
ATTEMPT_FIXED = ("meeting_id", "meetingid", "version", "path", "started_at", "request", "event_id")

POSTGRES = f"""
CREATE OR REPLACE FUNCTION meetings_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('meetings.audit_flush', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER meetings_auditevent_append_only
    BEFORE UPDATE OR DELETE ON meetings_auditevent
    FOR EACH ROW EXECUTE FUNCTION meetings_append_only();
CREATE TRIGGER meetings_auditevent_no_truncate
    BEFORE TRUNCATE ON meetings_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION meetings_append_only();
CREATE TRIGGER meetings_syncattempt_no_delete
    BEFORE DELETE ON meetings_syncattempt
    FOR EACH ROW EXECUTE FUNCTION meetings_append_only();
CREATE TRIGGER meetings_syncattempt_sent_fixed
    BEFORE UPDATE OF {", ".join(ATTEMPT_FIXED)} ON meetings_syncattempt
    FOR EACH ROW EXECUTE FUNCTION meetings_append_only();
CREATE TRIGGER meetings_syncattempt_no_truncate
    BEFORE TRUNCATE ON meetings_syncattempt
    FOR EACH STATEMENT EXECUTE FUNCTION meetings_append_only();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS meetings_syncattempt_no_truncate ON meetings_syncattempt;
DROP TRIGGER IF EXISTS meetings_syncattempt_sent_fixed ON meetings_syncattempt;
DROP TRIGGER IF EXISTS meetings_syncattempt_no_delete ON meetings_syncattempt;
DROP TRIGGER IF EXISTS meetings_auditevent_no_truncate ON meetings_auditevent;
DROP TRIGGER IF EXISTS meetings_auditevent_append_only ON meetings_auditevent;
DROP FUNCTION IF EXISTS meetings_append_only();
"""

SQLITE = [
    f"""CREATE TRIGGER meetings_auditevent_no_update BEFORE UPDATE ON meetings_auditevent
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE on meetings_auditevent refused'); END""",
    f"""CREATE TRIGGER meetings_auditevent_no_delete BEFORE DELETE ON meetings_auditevent
    WHEN NOT meetings_audit_flush()
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE on meetings_auditevent refused'); END""",
    f"""CREATE TRIGGER meetings_syncattempt_no_delete BEFORE DELETE ON meetings_syncattempt
    WHEN NOT meetings_audit_flush()
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE on meetings_syncattempt refused'); END""",
    f"""CREATE TRIGGER meetings_syncattempt_sent_fixed
    BEFORE UPDATE OF {", ".join(ATTEMPT_FIXED)} ON meetings_syncattempt
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE on meetings_syncattempt refused'); END""",
]
SQLITE_TRIGGERS = (
    "meetings_auditevent_no_update",
    "meetings_auditevent_no_delete",
    "meetings_syncattempt_no_delete",
    "meetings_syncattempt_sent_fixed",
)


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # No parameters: the % of RAISE are the function's own, not placeholders.
        schema_editor.execute(POSTGRES, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)
    else:
        raise RuntimeError(f"append-only triggers are not written for {vendor}")


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE, params=None)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("meetings", "0002_audit_events")]

    operations = [migrations.RunPython(install, remove)]
