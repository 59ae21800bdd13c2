"""The audit record as a hash chain, and append-only without a way around in production.

Each event gets `prev_hash` and `hash` (see meetings.chain.chain_hash); the events already
stored are chained here in id order. Migrations run as the database's owner, which may set
the triggers aside for that one backfill.

The triggers of migration 0003 let a flagged TRUNCATE (PostgreSQL) or DELETE (SQLite) through
for the test suite's flush. A flag any connection can set is no guard, so they are replaced
here by triggers that refuse always; the tests empty the tables as the owner, with the
triggers set aside inside the flush's own transaction (tests/fixtures/audit_flush.py).
"""

from django.db import migrations, models

from meetings import chain

MESSAGE = "audit records are append-only"
ATTEMPT_FIXED = ("meeting_id", "meetingid", "version", "path", "started_at", "request", "event_id")

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION meetings_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
"""
# 0003's function, for going back.
POSTGRES_FUNCTION_0003 = f"""
CREATE OR REPLACE FUNCTION meetings_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('meetings.audit_flush', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
"""

SQLITE_TRIGGERS = {
    "meetings_auditevent_no_update": f"""CREATE TRIGGER meetings_auditevent_no_update
    BEFORE UPDATE ON meetings_auditevent
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE on meetings_auditevent refused'); END""",
    "meetings_auditevent_no_delete": f"""CREATE TRIGGER meetings_auditevent_no_delete
    BEFORE DELETE ON meetings_auditevent
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE on meetings_auditevent refused'); END""",
    "meetings_syncattempt_no_delete": f"""CREATE TRIGGER meetings_syncattempt_no_delete
    BEFORE DELETE ON meetings_syncattempt
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE on meetings_syncattempt refused'); END""",
    "meetings_syncattempt_sent_fixed": f"""CREATE TRIGGER meetings_syncattempt_sent_fixed
    BEFORE UPDATE OF {", ".join(ATTEMPT_FIXED)} ON meetings_syncattempt
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE on meetings_syncattempt refused'); END""",
}
# The tables whose triggers the test flush sets aside, by database.
POSTGRES_TABLES = ("meetings_auditevent", "meetings_syncattempt")


def _backfill(apps):
    AuditEvent = apps.get_model("meetings", "AuditEvent")
    previous = chain.GENESIS
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=1000):
        event.prev_hash = previous
        previous = chain.chain_hash(event)
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=previous)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        schema_editor.execute(
            "ALTER TABLE meetings_auditevent DISABLE TRIGGER meetings_auditevent_append_only"
        )
        _backfill(apps)
        schema_editor.execute(
            "ALTER TABLE meetings_auditevent ENABLE TRIGGER meetings_auditevent_append_only"
        )
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        _backfill(apps)
        for statement in SQLITE_TRIGGERS.values():
            schema_editor.execute(statement)
    else:
        raise RuntimeError(f"append-only triggers are not written for {vendor}")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION_0003, params=None)
    elif vendor == "sqlite":
        old = __import__("meetings.migrations.0003_append_only_triggers", fromlist=["SQLITE"])
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in old.SQLITE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("meetings", "0007_audit_settlements")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                blank=True, editable=False, max_length=64, null=True,
                verbose_name="hash of the previous event",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(
                blank=True, editable=False, max_length=64, null=True, verbose_name="hash"
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
