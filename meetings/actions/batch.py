"""One change applied to many meetings: the preview, the confirmation and the progress.

An administrator chooses meetings in the list and one change (a setting, a person added to or
taken off a list, a calendar, a cancellation). Each meeting is judged as its edit page would
judge it: the change applied to its whole desired state, then the same rules (`rules`) and the
same notion of "changed" (`payloads.changes`). A meeting the rules refuse is left out whole,
never half-changed. Confirming writes, per meeting, what `actions.edit_meeting` (or
`actions.cancel_meeting`) writes for one: the new desired state, its own version, a pending
audit event, and the sync queued after the commit; the events all point at one `Batch`.

Everything here works a page of meetings at a time, with bulk reads and writes, so that the
queries a page costs do not grow with the page's meetings, and a batch of 1,000 costs twenty
pages. The worker then syncs each meeting through the same task and the same WeCom limits as
after a single save; the progress reads how each action ended from the audit record's
settlements, which the worker appends only once WeCom holds the change.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from .. import audit, fields, live, payloads, presenters, rules, settle, tasks
from ..models import (
    AuditEvent,
    Batch,
    Calendar,
    Meeting,
    MeetingSettings,
    Participant,
    Status,
    SyncState,
)
from ..presenters import readonly_reason
from ..sync import endings

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_stubs_ext import StrOrPromise

    from ..presenters import PersonLabel
    from . import Actor

# Meetings judged, written or listed together: one page of the preview and of the progress,
# and one transaction of the confirmation. Small enough for one INSERT of their audit events
# on SQLite (999 parameters at most), large enough that 1,000 meetings take 20 pages.
PAGE_SIZE = 50
# The most meetings one batch may hold.
BATCH_MAX = 2000

Kind = Batch.Kind
Role = Participant.Role
Action = AuditEvent.Action
Outcome = AuditEvent.Outcome

# The update body's path of each list of people.
ROLE_PATHS: dict[str, str] = {
    Role.INVITEE: "invitees",
    Role.HOST: "settings.hosts",
    Role.RING_USER: "settings.ring_users",
}
ROLE_OF_PATH = {path: role for role, path in ROLE_PATHS.items()}
# The settings a batch may set, as the edit page offers them: its switches and choices (the
# password and the host key are one meeting's secrets, never set in bulk; a setting that
# another change reveals, rules.REVEALED, follows that change).
ON_OFF = ((True, gettext_lazy("On")), (False, gettext_lazy("Off")))
SETTING_CHOICES = {
    declared.name: declared.choices if declared.kind == "choice" else ON_OFF
    for declared in fields.DECLARED
    if declared.group == "settings"
    and declared.kind in ("flag", "choice")
    and declared.path not in rules.REVEALED
}

# How each meeting of a batch stands before confirming.
CHANGE = "change"
REFUSED = "refused"
UNCHANGED = "unchanged"
# How each confirmed action stands, as WeCom's answer settled it (the audit record's outcome).
DONE = "done"
WAITING = "waiting"
FAILED = "failed"
PROGRESS_STATES = {
    DONE: (Outcome.OK,),
    WAITING: (Outcome.PENDING,),
    FAILED: (Outcome.FAILED, Outcome.CONFLICT, Outcome.OVERRIDDEN),
}


@dataclass(frozen=True)
class Change:
    """The one change of a batch, as stored in Batch.kind and Batch.change."""

    kind: str
    # A setting's body path ("settings.enable_waiting_room") and its new value.
    path: str = ""
    value: object = None
    role: str = ""
    userid: str = ""
    cal_id: str = ""

    @classmethod
    def of(cls, batch: Batch) -> Change:
        params = batch.change or {}
        return cls(
            kind=batch.kind,
            path=params.get("field", ""),
            value=params.get("value"),
            role=params.get("role", ""),
            userid=params.get("userid", ""),
            cal_id=params.get("cal_id", ""),
        )

    def params(self) -> dict[str, Any]:
        if self.kind == Kind.SETTING:
            return {"field": self.path, "value": self.value}
        if self.kind in (Kind.ADD_PERSON, Kind.REMOVE_PERSON):
            return {"role": self.role, "userid": self.userid}
        if self.kind == Kind.CALENDAR:
            return {"cal_id": self.cal_id}
        return {}

    @property
    def action(self) -> str:
        return Action.CANCEL if self.kind == Kind.CANCEL else Action.EDIT

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """The whole body with this change made, before pruning: a setting that the change
        reveals (the watermark's style once there is a watermark) comes back as saved, as on
        the edit page, and "everyone muted" is revealed ticked when self-unmuting goes off."""
        body = {**body, "settings": dict(body["settings"])}
        if self.kind == Kind.SETTING:
            settings = body["settings"]
            hidden = set(fields.GROUPS["settings"]) - fields.applicable("settings", settings)
            settings[self.path.partition(".")[2]] = self.value
            for path, value in rules.REVEALED.items():
                group, _dot, name = path.partition(".")
                if group == "settings" and name in hidden and fields.applies(group, name, settings):
                    settings[name] = value
        elif self.kind in (Kind.ADD_PERSON, Kind.REMOVE_PERSON):
            path = ROLE_PATHS[self.role]
            group, _dot, name = path.rpartition(".")
            holder = body[group] if group else body
            userids = list((holder.get(name) or {}).get("userid") or [])
            wanted = self.userid.lower()
            if self.kind == Kind.ADD_PERSON:
                if wanted not in {u.lower() for u in userids}:
                    userids.append(self.userid)
            else:
                userids = [u for u in userids if u.lower() != wanted]
            holder[name] = {"userid": userids}
        elif self.kind == Kind.CALENDAR:
            body["cal_id"] = self.cal_id
        return body

    def words(
        self,
        calendars: Mapping[str, str] | None = None,
        names: Mapping[str, PersonLabel] | None = None,
    ) -> str:
        """The change in one line, in the reader's language; `names` are the people's labels
        when the caller has read them (for a list of batches, in one query)."""
        if self.kind == Kind.SETTING:
            return _("%(field)s: %(value)s") % {
                "field": presenters.label(self.path),
                "value": setting_value_words(self.path, self.value),
            }
        if self.kind in (Kind.ADD_PERSON, Kind.REMOVE_PERSON):
            if names is None:
                names = presenters.person_labels([self.userid])
            who = names.get(self.userid, self.userid)
            values = {"person": who, "list": presenters.label(ROLE_PATHS[self.role])}
            if self.kind == Kind.ADD_PERSON:
                return _("Add %(person)s to %(list)s") % values
            return _("Remove %(person)s from %(list)s") % values
        if self.kind == Kind.CALENDAR:
            name = (calendars or {}).get(self.cal_id, self.cal_id) or _("No calendar")
            return _("Move to the calendar %(calendar)s") % {"calendar": name}
        if self.kind == Kind.CANCEL:
            return _("Cancel the meetings")
        return ""


def setting_value_words(path: str, value: object) -> str:
    for choice, words in SETTING_CHOICES.get(path.partition(".")[2], ()):
        if choice == value:
            return str(words)
    return presenters.describe(path, value)


# --- judging one meeting ----------------------------------------------------------------------


@dataclass
class Verdict:
    """What a batch does to one meeting: `rows` the changed leaves (path, old, new), or the
    `reasons` it is left out (rules.Problem, or a message of its own)."""

    meeting: Meeting
    state: str
    rows: list[tuple[str, Any, Any]] = field(default_factory=list)
    reasons: Sequence[rules.Problem | StrOrPromise] = field(default_factory=list)
    body: dict[str, Any] | None = None


def whole_body(meeting: Meeting) -> dict[str, Any]:
    """The meeting's desired state with every setting, applicable or not, as the edit form
    holds it: a change that reveals a setting finds it as saved."""
    body = payloads.desired_body(meeting)
    settings = {name: getattr(meeting.settings, name) for name in payloads.SETTINGS_SCALARS}
    for name in payloads.SETTINGS_LISTS:
        settings[name] = {"userid": getattr(meeting, name)}
    body["settings"] = settings
    return body


def judge(
    meeting: Meeting, change: Change, *, now: int, chosen_version: int | None = None
) -> Verdict:
    """The verdict of `change` on `meeting` (its lists loaded), as a single edit would get."""
    if not meeting.is_editable:
        return Verdict(meeting, REFUSED, reasons=[readonly_reason(meeting)])
    if chosen_version is not None and meeting.version != chosen_version:
        return Verdict(meeting, REFUSED, reasons=[CHANGED_SINCE])
    if meeting.sync_state == SyncState.CONFLICT:
        # Its sync waits for a person's choice: a change on top would only wait with it.
        return Verdict(meeting, REFUSED, reasons=[IN_CONFLICT])
    if change.kind == Kind.CANCEL:
        return Verdict(meeting, CHANGE, rows=[("status", Status.SCHEDULED, Status.CANCELLED)])
    if (
        change.kind == Kind.ADD_PERSON
        and change.role == Role.RING_USER
        and meeting.settings.remind_scope != fields.RING_CHOSEN_USERS
    ):
        # Not "already so": the person would not be rung.
        return Verdict(meeting, REFUSED, reasons=[NOT_RUNG])
    before = payloads.desired_body(meeting)
    after = rules.prune(change.apply(whole_body(meeting)))
    rows = payloads.changes(before, after, meeting.admin_userid)
    if not rows:
        return Verdict(meeting, UNCHANGED, reasons=[ALREADY])
    problems = rules.check_meeting(after, now=now, admin_userid=meeting.admin_userid)
    if problems:
        return Verdict(meeting, REFUSED, rows=rows, reasons=_for_removal(change, problems))
    return Verdict(meeting, CHANGE, rows=rows, body=after)


def _for_removal(change: Change, problems: list[rules.Problem]) -> list[rules.Problem]:
    """The rules' problems, said for a person taken out of the invitees: a host, or one to
    ring, must be invited, and the rules' advice (invite them) would undo the change."""
    if change.kind != Kind.REMOVE_PERSON or change.role != Role.INVITEE:
        return problems
    return [
        rules.Problem(
            problem.field, problem.code, rules.Message(STILL_LISTED, **problem.message.params)
        )
        if problem.code == rules.NOT_INVITED
        else problem
        for problem in problems
    ]


CHANGED_SINCE = gettext_lazy(
    "Saved by someone else (or changed in WeCom) after it was chosen: choose the meetings again."
)
NOT_RUNG = gettext_lazy(
    "Ring these people applies only when the ring at the start is set to chosen people."
)
ALREADY = gettext_lazy("Already so.")
IN_CONFLICT = gettext_lazy(
    "Its sync waits for a choice between a value saved here and WeCom's: settle it on the "
    "meeting's page first."
)
STILL_LISTED = gettext_lazy(
    "%(userid)s is a host, or one to ring, here: take them off that list first (a batch "
    "change of its own), then out of the invitees."
)


# --- a page of meetings, read in a constant number of queries --------------------------------


def load(pks: Iterable[int], *, lock: bool = False) -> list[Meeting]:
    """The meetings of `pks` (in that order, those that still exist), with their settings,
    reminders and lists: two queries. `lock` takes their rows for the transaction."""
    meetings = Meeting.objects.select_related("settings", "reminders").filter(pk__in=pks)
    if lock:
        # Only the meetings' rows: PostgreSQL cannot lock the nullable side of an outer join.
        meetings = meetings.select_for_update(of=("self",))
    by_pk = {meeting.pk: meeting for meeting in meetings}
    lists: defaultdict[int, dict[str, list[tuple[str, int]]]] = defaultdict(dict)
    positions: defaultdict[tuple[int, str], int] = defaultdict(int)
    rows = (
        Participant.objects.filter(meeting_id__in=list(by_pk))
        .order_by("meeting_id", "role", "position")
        .values_list("meeting_id", "role", "userid", "position", "pk")
    )
    for meeting_id, role, userid, position, pk in rows:
        lists[meeting_id].setdefault(role, []).append((userid, pk))
        positions[meeting_id, role] = max(positions[meeting_id, role], position + 1)
    found = []
    for pk in pks:
        meeting = by_pk.get(pk)
        if meeting is None:
            continue
        meeting._userids = {role: [u for u, _pk in entries] for role, entries in lists[pk].items()}
        # Read by _list_rows when this page is confirmed, under the same lock.
        meeting._participant_pks = {  # type: ignore[attr-defined]
            (role, u): participant
            for role, entries in lists[pk].items()
            for u, participant in entries
        }
        meeting._next_position = {  # type: ignore[attr-defined]  # as _participant_pks
            role: positions[pk, role] for role in ROLE_PATHS
        }
        found.append(meeting)
    return found


def judge_page(batch: Batch, pks: Iterable[int], *, lock: bool = False) -> list[Verdict]:
    """The verdicts of one page of the batch's meetings."""
    change = Change.of(batch)
    chosen = dict((pk, version) for pk, version in batch.meetings)
    now = int(clock.time())
    return [
        judge(meeting, change, now=now, chosen_version=chosen.get(meeting.pk))
        for meeting in load(pks, lock=lock)
    ]


def pks_of(batch: Batch) -> list[int]:
    return [pk for pk, _version in batch.meetings]


def preview(batch: Batch, page_number: str | int | None) -> tuple[Page[int], list[PreviewRow]]:
    """One page of the preview: the page (of meeting pks) and a row per meeting saying what
    changes, in the edit page's words, or why it is left out."""
    page = Paginator(pks_of(batch), PAGE_SIZE).get_page(page_number)
    verdicts = judge_page(batch, list(page.object_list))
    calendars = dict(Calendar.objects.values_list("cal_id", "summary"))
    names = presenters.person_labels(_userids_named(verdicts))
    return page, [_preview_row(v, calendars, names) for v in verdicts]


def _userids_named(verdicts: Iterable[Verdict]) -> Iterator[str]:
    for verdict in verdicts:
        for path, old, new in verdict.rows:
            if path in presenters.USERID_LISTS:
                yield from _userid_list(old)
                yield from _userid_list(new)
        for reason in verdict.reasons:
            if isinstance(reason, rules.Problem) and "userid" in reason.message.params:
                yield str(reason.message.params["userid"])


def _userid_list(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = value.get("userid")
    return [u for u in value or () if isinstance(u, str)]


@dataclass
class PreviewRow:
    meeting: Meeting
    state: str
    changes: list[ChangeLine]
    reasons: list[str]


@dataclass
class ChangeLine:
    label: StrOrPromise
    old: StrOrPromise = ""
    new: StrOrPromise = ""
    # For a list of people: who comes and who goes, by name.
    added: list[PersonLabel] | None = None
    removed: list[PersonLabel] | None = None


def _preview_row(
    verdict: Verdict, calendars: Mapping[str, str], names: Mapping[str, PersonLabel]
) -> PreviewRow:
    lines = [_line(path, old, new, calendars, names) for path, old, new in verdict.rows]
    reasons = [reason_words(reason, names) for reason in verdict.reasons]
    return PreviewRow(verdict.meeting, verdict.state, lines, reasons)


def _line(
    path: str,
    old: Any,
    new: Any,
    calendars: Mapping[str, str],
    names: Mapping[str, PersonLabel],
) -> ChangeLine:
    if path == "status":
        return ChangeLine(presenters.audit_label(path), Status(old).label, Status(new).label)
    if path in presenters.USERID_LISTS:
        before, after = _userid_list(old), _userid_list(new)
        kept = {u.lower() for u in before}
        gone = {u.lower() for u in after}
        return ChangeLine(
            presenters.label(path),
            added=presenters.label_people([u for u in after if u.lower() not in kept], names),
            removed=presenters.label_people([u for u in before if u.lower() not in gone], names),
        )
    if path in presenters.SECRETS:
        return ChangeLine(presenters.label(path), _("changed"), _("changed"))
    return ChangeLine(
        presenters.label(path),
        presenters.describe(path, old, calendars),
        presenters.describe(path, new, calendars),
    )


def reason_words(
    reason: rules.Problem | StrOrPromise, names: Mapping[str, PersonLabel] | None = None
) -> str:
    """Why a meeting is left out, in the active language, a person by name: said from its
    code (`reason_code`), as the batch's page says it from the record once confirmed."""
    return presenters.reason_words(*reason_code(reason), names=names)


def reason_code(reason: rules.Problem | StrOrPromise) -> tuple[str, str, dict[str, Any]]:
    """A reason as the record keeps it, in no language: (the field's path or "", the
    message as written in the source, the message's values)."""
    if isinstance(reason, rules.Problem):
        return reason.field, _source(reason.message.template), dict(reason.message.params)
    return "", _source(reason), {}


def _source(message: StrOrPromise) -> str:
    # No language active: a lazy message gives its msgid, which the reader's catalogue turns
    # into their words when it is shown.
    with override(None):
        return str(message)


def inputs(batch: Batch) -> tuple[int, ...]:
    """What the verdicts of the batch's meetings depend on besides the change, in one
    aggregate query: how many still exist, the sum of their versions (each save raises one;
    none is ever lowered), how many may still be changed (their status and a cancellation
    decided here, which change no version) and how many have started (the rules refuse a
    start in the past). Whenever a verdict may differ, one of these differs."""
    now = timezone.now()
    found = Meeting.objects.filter(pk__in=pks_of(batch)).aggregate(
        meetings=Count("pk"),
        versions=Sum("version"),
        editable=Count("pk", filter=Q(status=Status.SCHEDULED, cancel_requested=False)),
        started=Count("pk", filter=Q(start__lte=now)),
    )
    return tuple(found[name] or 0 for name in ("meetings", "versions", "editable", "started"))


def summary(batch: Batch) -> dict[str, int]:
    """How many meetings the batch would change, leave out and find already so, judged a page
    at a time: a query count that grows with the pages, not the meetings."""
    counts = {CHANGE: 0, REFUSED: 0, UNCHANGED: 0}
    pks = pks_of(batch)
    for start in range(0, len(pks), PAGE_SIZE):
        for verdict in judge_page(batch, pks[start : start + PAGE_SIZE]):
            counts[verdict.state] += 1
    counts[REFUSED] += len(pks) - sum(counts.values())
    return counts


# --- choosing and confirming ------------------------------------------------------------------


def choose(meetings: QuerySet[Meeting], *, actor: Actor, filter_query: str = "") -> Batch:
    """A batch over `meetings` (a queryset, in the list's order), not yet confirmed: the
    meetings and their versions are fixed now, so the preview and the confirmation concern
    exactly these, as they were when chosen."""
    chosen = [list(row) for row in meetings.values_list("pk", "version")[: BATCH_MAX + 1]]
    if len(chosen) > BATCH_MAX:
        raise TooMany(len(chosen))
    return Batch.objects.create(
        # A person who is logged in is a User (the project's user model).
        actor=cast("User | None", actor if getattr(actor, "is_authenticated", False) else None),
        actor_username=actor.get_username() if actor is not None else audit.SYSTEM,
        meetings=chosen,
        filter_query=filter_query,
    )


class TooMany(Exception):
    pass


def set_change(batch: Batch, change: Change) -> None:
    Batch.objects.filter(pk=batch.pk, state=Batch.State.DRAFT).update(
        kind=change.kind, change=change.params()
    )
    batch.kind, batch.change = change.kind, change.params()


def confirm(batch: Batch, *, actor: Actor, source_ip: str | None = None) -> bool:
    """Carry the batch out: each meeting the rules accept gets its change, a version of its
    own, a pending audit event tied to the batch, and its sync queued; each one refused gets a
    refused event saying why. A page of meetings per transaction, so a meeting is changed
    whole or not at all. False when the batch was already confirmed (a second click)."""
    claimed = (
        Batch.objects.filter(pk=batch.pk, state=Batch.State.DRAFT)
        .exclude(kind="")
        .update(state=Batch.State.CONFIRMED, confirmed_at=timezone.now())
    )
    if not claimed:
        return False
    pks = pks_of(batch)
    for start in range(0, len(pks), PAGE_SIZE):
        confirm_page(batch, pks[start : start + PAGE_SIZE], actor=actor, source_ip=source_ip)
    return True


@transaction.atomic
def confirm_page(
    batch: Batch, pks: list[int], *, actor: Actor, source_ip: str | None = None
) -> None:
    verdicts = judge_page(batch, pks, lock=True)
    # Meetings deleted since they were chosen have no row to judge: left out too.
    gone = len(pks) - len(verdicts)
    accepted = [v for v in verdicts if v.state == CHANGE]
    refused = [v for v in verdicts if v.state == REFUSED]
    change = Change.of(batch)
    if accepted:
        _write(accepted, change)
    events = [_event(v, change, batch, actor, source_ip, Outcome.PENDING) for v in accepted]
    events += [_event(v, change, batch, actor, source_ip, Outcome.REFUSED) for v in refused]
    audit.record_all(events)
    Batch.objects.filter(pk=batch.pk).update(
        applied=F("applied") + len(accepted),
        refused=F("refused") + len(refused) + gone,
        unchanged=F("unchanged") + len(verdicts) - len(accepted) - len(refused),
    )
    if accepted:
        transaction.on_commit(partial(_enqueue, [v.meeting.pk for v in accepted]))


def _write(accepted: list[Verdict], change: Change) -> None:
    """The new desired state of every accepted meeting of a page, in a few bulk statements:
    each changed leaf is written for all the meetings that take the same value at once."""
    pks = [v.meeting.pk for v in accepted]
    if change.kind == Kind.CANCEL:
        Meeting.objects.filter(pk__in=pks).update(cancel_requested=True)
    # Each meeting's new values by table, the meetings taking the same ones written together,
    # all columns of a table in one UPDATE (a database constraint may tie two of them).
    assignments: defaultdict[tuple[str, tuple[tuple[str, object], ...]], list[Any]]
    assignments = defaultdict(list)
    added: list[Participant] = []
    removed: list[int] = []
    for verdict in accepted:
        meeting = verdict.meeting
        values: defaultdict[str, dict[str, Any]] = defaultdict(dict)
        for path, _old, new in verdict.rows:
            if path in ROLE_OF_PATH:
                _list_rows(meeting, ROLE_OF_PATH[path], _old, new, added, removed)
            elif path != "status":
                holder, _dot, name = path.rpartition(".")
                values[holder][name] = new
        # A setting the change revealed as saved is no row, and one it hid stays stored, as
        # a single edit leaves it (payloads.apply_body writes only what the body carries).
        for holder, columns in values.items():
            key = (holder, tuple(sorted((n, _hashable(v)) for n, v in columns.items())))
            assignments[key].append((meeting.pk, columns))
    for (holder, _key), group in assignments.items():
        columns = group[0][1]
        pks_here = [pk for pk, _columns in group]
        if holder == "settings":
            MeetingSettings.objects.filter(meeting_id__in=pks_here).update(**columns)
        else:
            Meeting.objects.filter(pk__in=pks_here).update(**columns)
    if removed:
        Participant.objects.filter(pk__in=removed).delete()
    if added:
        Participant.objects.bulk_create(added)
    endings.waiting_all(
        pks, version=F("version") + 1, updated_at=timezone.now(), **settle.on_save()
    )
    for verdict in accepted:
        verdict.meeting.version += 1


def _hashable(value: object) -> object:
    return value if not isinstance(value, list | dict) else repr(value)


def _list_rows(
    meeting: Meeting,
    role: str,
    old: object,
    new: object,
    added: list[Participant],
    removed: list[int],
) -> None:
    before, after = _userid_list(old), _userid_list(new)
    kept = {u.lower() for u in before}
    staying = {u.lower() for u in after}
    for userid in before:
        if userid.lower() not in staying:
            removed.append(meeting._participant_pks[role, userid])  # type: ignore[attr-defined]
    position = meeting._next_position[role]  # type: ignore[attr-defined]  # set by load()
    for userid in after:
        if userid.lower() not in kept:
            added.append(Participant(meeting=meeting, role=role, userid=userid, position=position))
            position += 1


def _event(
    verdict: Verdict,
    change: Change,
    batch: Batch,
    actor: Actor,
    source_ip: str | None,
    outcome: str,
) -> AuditEvent:
    meeting = verdict.meeting
    if outcome == Outcome.REFUSED:
        # In the record's own words: each reason as a code, said in the reader's language
        # wherever the event is read.
        detail = audit.left_out(reason_code(r) for r in verdict.reasons)
        rows: list[dict[str, Any]] = []
    else:
        detail = "whole meeting" if change.kind == Kind.CANCEL else ""
        rows = (
            [{"field": "status", "old": Status.SCHEDULED.value, "new": Status.CANCELLED.value}]
            if change.kind == Kind.CANCEL
            else audit.change_rows(verdict.rows)
        )
    return audit.build(
        change.action,
        actor=actor,
        meeting=meeting,
        changes=rows,
        source_ip=source_ip,
        outcome=outcome,
        detail=detail,
        batch=batch,
    )


def _enqueue(pks: list[int]) -> None:
    for pk in pks:
        if not tasks.enqueue_after_save(pk):
            # The broker is down: every other publish would fail the same way (each after a
            # wait), and the sweep queues every meeting whose version WeCom does not have.
            break


# --- the progress -----------------------------------------------------------------------------


# The events carry `effective_outcome` (AuditEventQuerySet.with_outcome), an annotation the
# stubs cannot see: hence QuerySet[Any] wherever it is filtered on.
def _actions(batch: Batch) -> QuerySet[Any]:
    return AuditEvent.objects.with_outcome().filter(batch=batch).exclude(outcome=Outcome.REFUSED)


def counts(batch: Batch) -> dict[str, int]:
    """{done, waiting, failed} of the batch's actions, in one query."""
    totals = {DONE: 0, WAITING: 0, FAILED: 0}
    rows = _actions(batch).order_by().values("effective_outcome").annotate(n=Count("pk"))
    for row in rows:
        for state, outcomes in PROGRESS_STATES.items():
            if row["effective_outcome"] in outcomes:
                totals[state] += row["n"]
    return totals


def in_hand(batch: Batch) -> int:
    """How many of the meetings the batch changed the worker has in hand now, in one query:
    a meeting sent again by Retry is on its way although its action still reads as it
    ended (failed) until the worker settles it anew."""
    changed = AuditEvent.objects.filter(batch=batch).exclude(outcome=Outcome.REFUSED)
    return Meeting.objects.filter(
        pk__in=changed.values("meeting_id"), sync_state__in=live.IN_FLIGHT
    ).count()


def progress_page(batch: Batch, state: str, page_number: str | int | None) -> Page[AuditEvent]:
    """One page of the batch's meetings as each stands, `state` one of done / waiting /
    failed / refused or "" for all the actions."""
    events: QuerySet[Any]
    if state == REFUSED:
        events = AuditEvent.objects.filter(batch=batch, outcome=Outcome.REFUSED).annotate(
            effective_outcome=F("outcome")
        )
    else:
        events = _actions(batch)
        if state in PROGRESS_STATES:
            events = events.filter(effective_outcome__in=PROGRESS_STATES[state])
    events = events.select_related("meeting").order_by("pk")
    page = Paginator(events, PAGE_SIZE).get_page(page_number)
    page.object_list = list(page.object_list)
    refused = [event for event in page.object_list if event.outcome == Outcome.REFUSED]
    names = presenters.person_labels(
        userid for event in refused for userid in presenters.left_out_userids(event.detail)
    )
    for event in page.object_list:
        event.state = state_of(event.effective_outcome)
    for event in refused:
        event.reason = presenters.left_out_words(event.detail, names)
    return page


def state_of(outcome: str) -> str:
    if outcome == Outcome.REFUSED:
        return REFUSED
    for state, outcomes in PROGRESS_STATES.items():
        if outcome in outcomes:
            return state
    return WAITING


def batch_counts(batches: Iterable[Batch]) -> dict[int, dict[str, int]]:
    """{batch pk: {done, waiting, failed}} for a page of batches, in one query."""
    totals = {batch.pk: {DONE: 0, WAITING: 0, FAILED: 0} for batch in batches}
    rows = (
        AuditEvent.objects.with_outcome()
        .filter(batch__in=list(totals))
        .exclude(outcome=Outcome.REFUSED)
        .order_by()
        .values("batch_id", "effective_outcome")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        state = state_of(row["effective_outcome"])
        totals[row["batch_id"]][state] += row["n"]
    return totals


def confirmed() -> QuerySet[Batch]:
    return Batch.objects.filter(state=Batch.State.CONFIRMED).filter(~Q(kind=""))
