"""The people directory: userids with names, so that the pickers show who is who.

Three sources fill it: the member export an administrator downloads from the WeCom admin
console (`import_people`), the sandbox's demo directory (`setup_demo`), and the bare userids
seen in imported meetings. A name once known is never replaced by a blank one.
"""

import csv
import io
import json
import re
from dataclasses import dataclass

import requests
from django.db import connection
from django.db.models import Q

from . import rules
from .models import Person

Source = Person.Source
SEARCH_LIMIT = 10
USERID_SEPARATORS = re.compile(r"[\s,，;；、]+")

# Header spellings of the console's member export (简体, with the variant 帐号) and the plain
# English ones an administrator may type by hand; compared case-insensitively, trimmed.
USERID_HEADERS = frozenset(("账号", "帐号", "userid", "成员userid", "user id", "account"))
NAME_HEADERS = frozenset(("姓名", "name", "成员名称"))
DEPARTMENT_HEADERS = frozenset(("部门", "department", "所在部门"))
# The export may open with a title line or two before the header row.
HEADER_SEARCH_ROWS = 5
# The entries of a list of userids (Directory.read), the list as one array or JSON parameter.
PEOPLE_BY_USERID_POSTGRES = (
    "SELECT userid, name, department FROM meetings_person WHERE userid = ANY(%s)"
)
PEOPLE_BY_USERID_SQLITE = (
    "SELECT userid, name, department FROM meetings_person "
    "WHERE userid IN (SELECT value FROM json_each(%s))"
)


class ExportError(ValueError):
    """A file that cannot be read as a member export, with the reason."""


@dataclass
class Entry:
    """One userid of a picker's list, as the page shows it."""

    userid: str
    name: str = ""
    department: str = ""
    known: bool = False
    well_formed: bool = True
    invited: bool = False
    # A name typed that several people of the directory have.
    ambiguous: bool = False


def split_userids(text):
    return [userid for userid in USERID_SEPARATORS.split(text or "") if userid]


def by_name(names):
    """{name: [userid, …]} of the directory's people named exactly so, for the names given:
    a person typed by name rather than userid."""
    found: dict[str, list[str]] = {}
    # A NUL is in no name, and PostgreSQL refuses it in a query.
    names = {name for name in names if "\x00" not in name}
    if not names:
        return found
    for userid, name in Person.objects.filter(name__in=names).values_list("userid", "name"):
        found.setdefault(name, []).append(userid)
    return found


def resolve(typed):
    """Words typed for people, each name that names one person of the directory as their
    userid; and the names that several people have, left as typed."""
    names = [word for word in typed if not rules.is_userid(word)]
    found = by_name(names) if names else {}
    several = [name for name in dict.fromkeys(names) if len(found.get(name, ())) > 1]
    return [found[word][0] if len(found.get(word, ())) == 1 else word for word in typed], several


def entries(userids):
    """Each userid with its directory entry; one not in the directory is flagged, and one that
    is not a userid at all is marked so (the rules refuse it on save)."""
    return Directory().entries(userids)


class Directory:
    """The directory as one request reads it: each userid looked up once, whoever asks (the
    edit page's pickers, the names in its messages and in its changes panel)."""

    def __init__(self):
        # The userids asked about, each as typed and in lower case: names are found whatever
        # the case typed (WeCom's userids ignore it), entries only as the directory spells them.
        self._asked = set()
        # userid -> (name, department), as the directory spells the userid.
        self._found = {}
        # lower-case userid -> name.
        self._names = {}

    def read(self, userids):
        """Look up, in one query, those of these userids not looked up yet."""
        asked = self._asked
        wanted = {
            variant
            for userid in userids
            # Only a userid can be in the directory; anything else (a NUL, which PostgreSQL
            # refuses in a query, among them) is not looked up.
            if userid not in asked and isinstance(userid, str) and rules.is_userid(userid)
            for variant in (userid, userid.lower())
        } - asked
        if not wanted:
            return
        self._asked |= wanted
        for userid, name, department in _rows(wanted):
            self._found[userid] = (name, department)
            if name:
                self._names[userid.lower()] = name

    def entries(self, userids):
        """An Entry for each userid, in order, without repeats."""
        userids = list(dict.fromkeys(userids))
        self.read(userids)
        result = []
        for userid in userids:
            person = self._found.get(userid)
            if person is not None:
                name, department = person
                result.append(Entry(userid, name, department, known=True))
            else:
                result.append(Entry(userid, known=False, well_formed=rules.is_userid(userid)))
        return result

    def names(self, userids):
        """{userid: name} of every userid given ("" for one without a name)."""
        userids = [u for u in dict.fromkeys(userids) if isinstance(u, str) and u]
        self.read(userids)
        return {userid: self._names.get(userid.lower(), "") for userid in userids}


def _rows(userids):
    """(userid, name, department) of the directory's entries of these userids.

    Plain values, not Person objects, and the userids as one parameter: a list may hold
    hundreds, and with a placeholder each (Django's `__in`) Django prepared every value and
    psycopg parsed the long query again on each request, which took longer than the lookup."""
    userids = list(userids)
    if connection.vendor == "postgresql":
        sql, parameter = PEOPLE_BY_USERID_POSTGRES, userids
    else:
        sql, parameter = PEOPLE_BY_USERID_SQLITE, json.dumps(userids)
    with connection.cursor() as cursor:
        cursor.execute(sql, [parameter])
        return cursor.fetchall()


def search(query, limit=SEARCH_LIMIT):
    """Up to `limit` people whose name, userid or department contains `query`, names first."""
    query = (query or "").strip()
    if not query:
        return []
    matches = Person.objects.filter(
        Q(name__icontains=query) | Q(userid__icontains=query) | Q(department__icontains=query)
    )
    return list(matches.order_by("name", "userid")[:limit])


def search_invited_first(query, invitees, limit=SEARCH_LIMIT):
    """The invitees who match `query` (all of them for an empty one), marked `invited`, then
    the rest of the directory's matches, up to `limit` in all."""
    query = (query or "").strip().lower()
    invited = [
        entry
        for entry in entries(invitees)
        if entry.well_formed
        and (
            not query
            or any(query in text.lower() for text in (entry.userid, entry.name, entry.department))
        )
    ][:limit]
    for entry in invited:
        entry.invited = True
    seen = {entry.userid.lower() for entry in invited}
    others = [p for p in search(query, limit) if p.userid.lower() not in seen]
    return invited + others[: limit - len(invited)]


def note_seen(userids):
    """Add userids seen in a meeting, nameless; one already known is left as it is."""
    new = {u for u in userids if rules.is_userid(u)}
    if new:
        Person.objects.bulk_create(
            [Person(userid=u, source=Source.MEETING) for u in sorted(new)],
            ignore_conflicts=True,
        )


def upsert(people, source):
    """Create or update each {"userid", "name", "department"}; a blank name or department
    never replaces a known one. Returns (created, updated, skipped)."""
    created = updated = skipped = 0
    for row in people:
        userid = (row.get("userid") or "").strip()
        if not rules.is_userid(userid):
            skipped += 1
            continue
        name = (row.get("name") or "").strip()[:128]
        department = (row.get("department") or "").strip()[:255]
        person = Person.objects.filter(userid=userid).first()
        if person is None:
            Person.objects.create(userid=userid, name=name, department=department, source=source)
            created += 1
            continue
        changed = False
        for attr, value in (("name", name), ("department", department)):
            if value and getattr(person, attr) != value:
                setattr(person, attr, value)
                changed = True
        if changed:
            person.source = source
            person.save(update_fields=["name", "department", "source"])
            updated += 1
    return created, updated, skipped


def decode_export(raw):
    """The export's text: UTF-8 (with or without a BOM), else GB18030, as older Excel saves."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ExportError("the file is neither UTF-8 nor GB18030 text")


def _columns(header):
    """Where each wanted column is in a header row (None if absent)."""
    cells = [cell.strip().lower() for cell in header]
    return {
        key: next((i for i, cell in enumerate(cells) if cell in names), None)
        for key, names in (
            ("userid", USERID_HEADERS),
            ("name", NAME_HEADERS),
            ("department", DEPARTMENT_HEADERS),
        )
    }


def read_export(raw):
    """The people of a member export (bytes of a CSV), or ExportError saying why not."""
    rows = list(csv.reader(io.StringIO(decode_export(raw))))
    headers = [(start, _columns(header)) for start, header in enumerate(rows[:HEADER_SEARCH_ROWS])]
    start, found = next(((i, f) for i, f in headers if f["userid"] is not None), (0, None))
    if found is None:
        raise ExportError("no userid column (账号 or userid) in the first rows of the file")
    return [
        {
            key: row[column] if column is not None and column < len(row) else ""
            for key, column in found.items()
        }
        for row in rows[start + 1 :]
        if any(cell.strip() for cell in row)
    ]


def sandbox_people(base_url, timeout=10):
    """The sandbox's demo directory, from its control API.

    Only the demo set-up calls this: WeCom has no such endpoint, and a real deployment fills
    the directory from the admin console's member export instead."""
    answer = requests.get(f"{base_url.rstrip('/')}/__sandbox__/people", timeout=timeout)
    answer.raise_for_status()
    return answer.json()["people"]
