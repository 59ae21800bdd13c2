"""Writing the audit record: the helpers the actions call, and what links it to the rest.

Only `meetings.actions` (a batch change among them: `meetings.actions.batch`) and the sync's endings
write events (through `record`, or `record_all` for many at once); this module knows how an
event is shaped (who, from where, the changes without secrets) and how a sync attempt finds
the event that caused it. It imports only the models, `meetings.rows` (statements written out
over their columns) and `meetings.chain`, which seals each event into the hash chain: the
receivers that turn Django's signals into actions live in `meetings.signals`.
"""

import contextvars
import ipaddress
import json
from collections.abc import Iterable
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, router
from django.db.models.signals import post_save

from .chain import head_of, head_sql, sealed_all
from .fields import MASK
from .fields import SECRETS as SECRET_FIELDS
from .models import AuditEvent, Meeting, effective
from .rows import columns_of, json_rows, quote_table, store_all, take

# The record shows MASK in place of a secret that is set: a secret is "changed", never shown.
SYSTEM = "system"
# What each role-change event's detail says, in the record's own (English) words; the admin
# shows them translated (meetings.presenters.detail_words).
USER = "user %(user)s"
USER_CREATED = "user %(user)s created"
USER_DELETED = "user %(user)s deleted"
GROUP = "group %(group)s"
GROUP_CREATED = "group %(group)s created"
GROUP_DELETED = "group %(group)s deleted"
# A sync result's detail when WeCom holds the change: the calls whose read-back showed it.
HELD = "WeCom holds it (attempts %(attempts)s)"
# The fields a sync found changed both here and in WeCom (`with_fields`): the admin names
# them by their labels.
CONFLICTED = "in conflict: %(fields)s"
STILL_CONFLICTED = "still in conflict: %(fields)s"
# An action's fields whose conflict an administrator settled by keeping WeCom's value.
KEPT_THEIRS = "WeCom's value kept: %(fields)s"
# An action's changes never sent: the meeting was cancelled first, WeCom's value kept.
CANCELLED_FIRST = "not sent, the meeting was cancelled first: %(fields)s"
# HELD of an action some of whose changes had given way (KEPT_THEIRS): done is said of the rest.
HELD_REST = "WeCom holds the rest (attempts %(attempts)s); WeCom's value kept: %(fields)s"
FIELDS_SEPARATOR = ", "
# A meeting a batch change left out, and why. Each reason is kept as a code, never in one
# language: [the field's path or "", the message as written in the source (its msgid), the
# message's values], a JSON list after the colon. The batch's page and the admin say it in
# the reader's language (meetings.presenters.left_out_words).
LEFT_OUT = "left out: %(reasons)s"
# The actions after which the worker sends a new desired state (or the same one again).
CAUSES_SYNC = (
    AuditEvent.Action.CREATE,
    AuditEvent.Action.EDIT,
    AuditEvent.Action.RETRY,
    AuditEvent.Action.RESOLVE_CONFLICT,
    AuditEvent.Action.CANCEL,
)


# Who is acting where a signal cannot say (a group change made in the admin or by grant_role).
_acting = contextvars.ContextVar("meetings_audit_acting", default=(None, None))


def with_fields(template: str, paths: Iterable[str]) -> str:
    """A detail naming fields by their paths, as `presenters.detail_words` reads them back."""
    return template % {"fields": FIELDS_SEPARATOR.join(paths)}


def left_out(reasons: Iterable[tuple[str, str, dict[str, Any]]]) -> str:
    """A LEFT_OUT detail of (field, msgid, values) reasons."""
    codes = [[field, message, values] for field, message, values in reasons]
    return LEFT_OUT % {"reasons": json.dumps(codes, ensure_ascii=False, sort_keys=True)}


def left_out_reasons(detail: str | None) -> list[tuple[str, str, dict[str, Any]]] | None:
    """The (field, msgid, values) reasons of a LEFT_OUT detail; None for another detail, or
    one that holds no reasons as `left_out` writes them."""
    prefix = LEFT_OUT.split("%(", 1)[0]
    if not detail or not detail.startswith(prefix):
        return None
    try:
        found = json.loads(detail[len(prefix) :])
    except ValueError:
        return None
    if not isinstance(found, list) or not found:
        return None
    reasons = []
    for code in found:
        if not (isinstance(code, list) and len(code) == 3):
            return None
        field, message, values = code
        if not (isinstance(field, str) and isinstance(message, str) and isinstance(values, dict)):
            return None
        reasons.append((field, message, values))
    return reasons


def kept_fields(detail: str | None) -> str | None:
    """The fields a KEPT_THEIRS detail names, as it wrote them; None for another detail."""
    prefix = KEPT_THEIRS.split("%(", 1)[0]
    return detail[len(prefix) :] if detail and detail.startswith(prefix) else None


@contextmanager
def acting(actor, source_ip=None):
    token = _acting.set((actor, source_ip))
    try:
        yield
    finally:
        _acting.reset(token)


def current_actor():
    """(actor, source_ip) of the surrounding `acting` block; (None, None) outside one."""
    return _acting.get()


def values_at(meeting, version):
    """What the record says the meeting's fields were at `version`, for each field changed
    since: {path: the change row of the first event since that changed it} (its "old", or
    its "secret" mark). None when a version since left no event with changes: the record
    then cannot say what was changed."""
    events = (
        AuditEvent.objects.filter(meeting=meeting, version__gt=version)
        .exclude(action=AuditEvent.Action.SYNC_RESULT)
        .exclude(outcome=AuditEvent.Outcome.REFUSED)
        .order_by("pk")
        .values_list("version", "changes")
    )
    before: dict[str, dict[str, Any]] = {}
    versions = set()
    for event_version, changes in events:
        if changes:
            versions.add(event_version)
        for row in changes:
            before.setdefault(row["field"], row)
    if not set(range(version + 1, meeting.version + 1)) <= versions:
        return None
    return before


def client_ip(request):
    """The address the request came from. Behind a proxy REMOTE_ADDR is the proxy's, and
    X-Forwarded-For is believed (its first entry) only when TRUST_X_FORWARDED_FOR says the
    proxy in front sets it, since a client can send that header itself."""
    if request is None:
        return None
    candidates = []
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        candidates.append(forwarded.split(",")[0].strip())
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def masked(path, value):
    if path not in SECRET_FIELDS:
        return value
    # Whether a secret is set is no secret; its value is.
    return MASK if value not in (None, "") else ""


def change_rows(rows):
    """payloads.changes rows as the record keeps them, secrets masked."""
    changes = []
    for path, old, new in rows:
        row = {"field": path, "old": masked(path, old), "new": masked(path, new)}
        if path in SECRET_FIELDS:
            row["secret"] = True
        changes.append(row)
    return changes


def record(action, **fields):
    """Write one event. The caller is the action, inside its own transaction, so the event
    and the change it describes are stored together or not at all. `settles` is the pending
    event a sync_result event settles."""
    event = build(action, **fields)
    event.save()
    return event


def record_all(events, head=None):
    """Write events made with `build` (a batch change's, one per meeting; a sync's
    settlements) in one INSERT (`rows.store_all`), chained in their order: what `record`
    does for each, signals included, in a number of queries that does not grow with the
    events. `head`: the chain's head, when this transaction has read it
    (`chain.sealed_all`)."""
    if not events:
        return []
    using = router.db_for_write(AuditEvent)
    with sealed_all(events, using=using, head=head):
        store_all(events)
        # As save() tells the receivers (`meetings.notify` among them), in the transaction.
        for event in events:
            post_save.send(AuditEvent, instance=event, created=True, raw=False, using=using)
    return events


def build(
    action,
    *,
    actor=None,
    meeting=None,
    changes=(),
    source_ip=None,
    outcome=AuditEvent.Outcome.OK,
    detail="",
    username=None,
    settles=None,
    batch=None,
):
    """An event, not yet written: who, what, on which meeting, how it ended."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if username is None:
        username = user.get_username() if user is not None else SYSTEM
    return AuditEvent(
        actor=user,
        actor_username=username[:150],
        action=action,
        meeting=meeting,
        meetingid=(meeting.meetingid or "") if meeting is not None else "",
        title=meeting.title if meeting is not None else "",
        version=meeting.version if meeting is not None else None,
        changes=list(changes),
        source_ip=source_ip,
        outcome=outcome,
        detail=str(detail),
        settles=settles,
        batch=batch,
    )


def _may_cause(event, meeting_id, version):
    """The SQL condition on the event under the alias `event` that it may cause a sync of
    the meeting `meeting_id` at `version` (both SQL): an edit, retry, settled conflict (or
    create, cancel) of the meeting at or below that version, not refused."""
    # Only the model's own choices' values go into the text.
    actions = ", ".join(f"'{action}'" for action in CAUSES_SYNC)
    return (
        f"{event}.meeting_id = {meeting_id} AND {event}.action IN ({actions}) "
        f"AND {event}.version <= {version} "
        f"AND {event}.outcome <> '{AuditEvent.Outcome.REFUSED}'"
    )


def causing_event(meeting):
    """The SQL of the pk of the event a sync attempt of a meeting carries, for the sync's
    load (`rows.whole_meeting`); `meeting` is the alias of the meeting's row there. That is
    the newest event that may cause a sync of the meeting at its version. A version the
    worker made itself (taking in a change made in WeCom) belongs to the action before it;
    an attempt of a meeting with no such event (only imported) links to nothing."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    return (
        f"(SELECT cause.id FROM {table} cause "  # noqa: S608
        f"WHERE {_may_cause('cause', f'{meeting}.id', f'{meeting}.version')} "
        "ORDER BY cause.id DESC LIMIT 1)"
    )


def settling(meeting_pk, version, *, unlike, pending_only=False, table="m"):
    """The SQL, with its parameters, of what a sync's ending settles, for a statement on the
    meeting's row (`table` names it there), so that the ending's release returns it in the
    same statement: the meeting's columns; the events that may cause a sync of the meeting
    up to `version` whose effective outcome (`AuditEventQuerySet.with_outcome`) is not
    `unlike` (and, with `pending_only`, is pending), newest first, as one JSON text; and
    the chain's head, read under the chain's lock for the settlements appended next.
    `settled` decodes the row."""
    quote = connection.ops.quote_name
    outcome = effective("e", "outcome")
    source = (
        f"FROM {quote(AuditEvent._meta.db_table)} e "
        f"WHERE {_may_cause('e', '%s', '%s')} AND {outcome} <> %s "
        + (f"AND {outcome} = '{AuditEvent.Outcome.PENDING}'" if pending_only else "")
    )
    events = json_rows(
        f"e.id, e.action, CAST(e.changes AS text), {outcome}, {effective('e', 'detail')}",
        source,
        "e.at DESC, e.id DESC",
    )
    head, head_params = head_sql(AuditEvent, router.db_for_write(AuditEvent))
    return (
        f"{columns_of(Meeting, table)}, {events}, {head}",
        [meeting_pk, version, unlike, *head_params],
    )


def settled(row, table="m"):
    """(events, head) of a row of `settling`: each event with its `effective_outcome` and
    `effective_detail` (its newest settlement's) and, as its `meeting`, the meeting as it
    stands in this transaction, with the fields a settlement reads (pk, action, changes);
    the head for `record_all`."""
    meeting, (text, head) = take(row, Meeting, table)
    events = []
    for pk, action, changes, outcome, detail in json.loads(text or "[]"):
        event: Any = AuditEvent(pk=pk, action=action, changes=json.loads(changes), meeting=meeting)
        event.effective_outcome, event.effective_detail = outcome, detail
        events.append(event)
    return events, head_of(head)


def causes(meeting_pk, version, *, unlike, pending_only=False):
    """`settling` read on its own, for an ending whose release could not return it."""
    sql, params = settling(meeting_pk, version, unlike=unlike, pending_only=pending_only)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql} FROM {quote_table(Meeting)} m WHERE m.id = %s",  # noqa: S608
            [*params, meeting_pk],
        )
        row = cursor.fetchone()
    return settled(row) if row is not None else ([], None)
