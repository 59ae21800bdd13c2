"""The PostgreSQL role the application runs as, with no right to rewrite the audit record.

Run it as the database's owner (the role migrations run as), after each `migrate`: it is
idempotent. The role may read and write the application's tables, but on the audit record
only SELECT and INSERT (plus, on sync attempts, UPDATE of the columns that hold WeCom's
answer, which the worker fills in after the call). Not being the tables' owner, it can neither
ALTER them nor set their triggers aside; not being a superuser, it cannot switch triggers off
with session_replication_role either.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from meetings.models import AuditEvent, SyncAttempt

# Columns of an attempt that say what was sent; the rest is WeCom's answer (migration 0003).
ATTEMPT_SENT = (
    "id",
    "meeting_id",
    "meetingid",
    "version",
    "path",
    "started_at",
    "request",
    "event_id",
)


def answer_columns():
    return [f.column for f in SyncAttempt._meta.concrete_fields if f.column not in ATTEMPT_SENT]


def grant_app_role(role, password=None, using=connection):
    """Create `role` (LOGIN, nothing more) if need be and give it exactly the rights above."""
    if using.vendor != "postgresql":
        raise CommandError("database roles are PostgreSQL's; SQLite has no users")
    quote = using.ops.quote_name
    name = quote(role)
    audit_tables = (AuditEvent._meta.db_table, SyncAttempt._meta.db_table)
    with transaction.atomic(using=using.alias), using.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {name} LOGIN")
        # Whatever it was given before, it is no more than this.
        cursor.execute(
            f"ALTER ROLE {name} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        )
        if password:
            cursor.execute(f"ALTER ROLE {name} PASSWORD %s", [password])
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
        cursor.execute(f"GRANT CONNECT ON DATABASE {quote(database)} TO {name}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {name}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {quote(schema)} "
            f"TO {name}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote(schema)} TO {name}")
        # Tables a later migration adds are usable at once; run this again after it anyway,
        # so that a new audit table is narrowed too.
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quote(schema)} "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {name}"
        )
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quote(schema)} "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {name}"
        )
        for table in audit_tables:
            cursor.execute(f"REVOKE ALL ON {quote(table)} FROM {name}")
            cursor.execute(f"GRANT SELECT, INSERT ON {quote(table)} TO {name}")
        columns = ", ".join(quote(column) for column in answer_columns())
        cursor.execute(f"GRANT UPDATE ({columns}) ON {quote(SyncAttempt._meta.db_table)} TO {name}")


class Command(BaseCommand):
    help = (
        "Create (or bring up to date) the PostgreSQL role the application runs as: it may "
        "read and write the app's tables but only read and append to the audit record. Run "
        "as the database's owner after each migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="name of the role, e.g. wecom_app")
        parser.add_argument(
            "--password-env",
            metavar="VARIABLE",
            help="environment variable holding the role's password (kept off the command line)",
        )

    def handle(self, *args, role, password_env, **options):
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"{password_env} is not set")
        grant_app_role(role, password)
        self.stdout.write(
            f"role {role} may now run the application on {connection.settings_dict['NAME']}"
        )
