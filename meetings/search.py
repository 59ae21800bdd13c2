"""The meeting list's search: titles, meeting IDs, 会议号, and people by name, userid or
department, each through an index, so that a search costs about the same at 50,000 meetings
as at 1,000.

- A meeting ID or a meeting code is an exact match on an indexed column; a code may be typed
  as WeCom clients show it ("123 456 789", "123-456-789").
- People are looked up in the directory (a table the size of the company, not of the
  meetings), then their meetings through the indexed Participant.userid.
- A title is searched for any part of it, so an ordinary index cannot help. On PostgreSQL a
  trigram index (pg_trgm, GIN) over the upper-cased title serves Django's own `icontains`;
  on SQLite an FTS5 table with the trigram tokenizer mirrors the titles, kept current by
  triggers. Both need at least three characters to narrow anything down; a shorter title
  search reads every title, as before.
"""

import re

from django.db.models import Q
from django.db.models.expressions import RawSQL

from .models import Meeting, Participant, Person

MEETING_CODE = re.compile(r"\d{3}[\s-]?\d{3}[\s-]?\d{3,}")
TRIGRAM = 3
PEOPLE_LIMIT = 200
# The FTS5 table and its triggers, under fixed names (plain strings: nothing is spliced in).
SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS meetings_meeting_title_fts USING fts5(title, "
    "content='meetings_meeting', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS meetings_meeting_title_fts_insert AFTER INSERT ON "
    "meetings_meeting BEGIN INSERT INTO meetings_meeting_title_fts(rowid, title) "
    "VALUES (new.id, new.title); END",
    "CREATE TRIGGER IF NOT EXISTS meetings_meeting_title_fts_delete AFTER DELETE ON "
    "meetings_meeting BEGIN INSERT INTO meetings_meeting_title_fts(meetings_meeting_title_fts, "
    "rowid, title) VALUES ('delete', old.id, old.title); END",
    "CREATE TRIGGER IF NOT EXISTS meetings_meeting_title_fts_update AFTER UPDATE OF title ON "
    "meetings_meeting BEGIN INSERT INTO meetings_meeting_title_fts(meetings_meeting_title_fts, "
    "rowid, title) VALUES ('delete', old.id, old.title); INSERT INTO "
    "meetings_meeting_title_fts(rowid, title) VALUES (new.id, new.title); END",
]
SQLITE_TRIGGERS = (
    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
    "AND name LIKE 'meetings_meeting_title_fts_%'"
)
SQLITE_REBUILD = (
    "INSERT INTO meetings_meeting_title_fts(meetings_meeting_title_fts) VALUES ('rebuild')"
)
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS meetings_meeting_title_fts_insert",
    "DROP TRIGGER IF EXISTS meetings_meeting_title_fts_delete",
    "DROP TRIGGER IF EXISTS meetings_meeting_title_fts_update",
    "DROP TABLE IF EXISTS meetings_meeting_title_fts",
]
SQLITE_TITLES = (
    "SELECT rowid FROM meetings_meeting_title_fts WHERE meetings_meeting_title_fts MATCH %s"
)
# Without fastupdate: GIN would otherwise gather new rows in a pending list that every search
# reads through until (auto)vacuum merges it, and a burst of new meetings slows every search.
POSTGRES_INDEX = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS meeting_title_trgm ON meetings_meeting "
    "USING gin (UPPER(title) gin_trgm_ops) WITH (fastupdate = off)",
    # The directory's names and departments, searched the same way.
    "CREATE INDEX IF NOT EXISTS person_name_trgm ON meetings_person "
    "USING gin (UPPER(name) gin_trgm_ops) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS person_department_trgm ON meetings_person "
    "USING gin (UPPER(department) gin_trgm_ops) WITH (fastupdate = off)",
]


def install_index(connection):
    """Create the title index of this database if it is missing; idempotent.

    Run by the migration, and after every migrate: SQLite rebuilds a table whose columns a
    later migration alters, and its triggers go with the old table."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in POSTGRES_INDEX:
                cursor.execute(statement)
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_TRIGGERS)
            (triggers,) = cursor.fetchone()
            for statement in SQLITE_INDEX:
                cursor.execute(statement)
            if triggers < 3:
                # Titles written while a trigger was missing: index them all again.
                cursor.execute(SQLITE_REBUILD)


def drop_index(connection):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for index in ("meeting_title_trgm", "person_name_trgm", "person_department_trgm"):
                cursor.execute(f"DROP INDEX IF EXISTS {index}")
        elif connection.vendor == "sqlite":
            for statement in SQLITE_DROP:
                cursor.execute(statement)


def meeting_code(text):
    """The digits of a meeting code typed with WeCom's spaces or dashes, or None."""
    if MEETING_CODE.fullmatch(text):
        return re.sub(r"[\s-]", "", text)
    return None


def _titles(text, connection):
    if len(text) >= TRIGRAM and connection.vendor == "sqlite":
        # A quoted FTS5 string matches wherever its trigrams follow each other: a substring.
        phrase = '"' + text.replace('"', '""') + '"'
        found = RawSQL(SQLITE_TITLES, [phrase])  # noqa: S611 - the text is a parameter
        return Meeting.objects.filter(pk__in=found)
    return Meeting.objects.filter(title__icontains=text)


def matching(text, connection):
    """The pks of the meetings `text` finds, as one subquery (a union of indexed lookups).

    The directory is asked first, in a query of its own: with the userids in hand the
    database walks the participants' userid index for them, where a subquery would have it
    guess how many people match and, guessing many, read every participant."""
    people = Person.objects.filter(
        Q(name__icontains=text) | Q(department__icontains=text) | Q(userid__iexact=text)
    ).values_list("userid", flat=True)
    userids = list(people[: PEOPLE_LIMIT + 1])
    # So many people (a whole department) that reading the participants is the way anyway.
    invited = people if len(userids) > PEOPLE_LIMIT else [*userids, text]
    code = meeting_code(text)
    parts = [
        Meeting.objects.filter(meetingid=text),
        # A number of nine digits or more is a 会议号; no title is searched for one.
        Meeting.objects.filter(meeting_code=code) if code else _titles(text, connection),
        Participant.objects.filter(userid__in=invited),
    ]
    first, *rest = [
        part.order_by().values_list("meeting_id" if part.model is Participant else "pk")
        for part in parts
    ]
    return first.union(*rest)
