"""On PostgreSQL, the audit chain's head read under the chain's lock in one statement.

Appending to the chain takes an advisory lock and then reads the last event's hash. Two
statements would cost every append (a sync's settlement among them) a round trip more; a
plain SELECT that took the lock in passing would read with the snapshot taken before it
waited. A VOLATILE function runs each of its statements with a fresh snapshot, so its read
sees what the writer before it committed (chain.sealed_all calls it). SQLite serialises
writers by itself and needs none of this.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION meetings_auditevent_head(lock_key bigint)
RETURNS TABLE (head_hash varchar, head_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY
        SELECT e.hash, e.at FROM meetings_auditevent e ORDER BY e.id DESC LIMIT 1;
END
$$
"""
DROP = "DROP FUNCTION meetings_auditevent_head(bigint)"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0014_notice"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
