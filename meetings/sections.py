"""The edit page as the administrator sees it: its sections and rows, the changes panel, the
preview, the values someone else saved. `forms.MeetingEditor` parses and checks; this says
what of it to show and how, in the words of `presenters`.

The sections and their fields are the declarations' (meetings.fields); edit.html loops over
them. A redraw of one fieldset asks for one section only: nothing here computes a row (or
looks up the names of a list of people) before the page asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from wecom.recurrence import MAX_OCCURRENCES

from . import fields, payloads, people, presenters, recurrence
from .fields import MASK, SECRETS, USERID_LISTS
from .presenters import describe, label, local_span
from .sync.plan import local_date

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The preview and the start's own weekday or day depend on the start besides the recurrence.
RECURRENCE_INPUTS = frozenset(("meeting_start",))
# Kinds whose control is a list of people with their names beside it: the names follow what
# was typed, so a change redraws the section (the text itself is kept as the browser has it,
# hx-preserve, so a redraw never loses what is being typed). The organiser also redraws the
# invitees, whom they may have to join.
PEOPLE_KINDS = frozenset(("userids", "organiser"))
# The lists whose people must also be invited (rules.check_hosts, check_ring_users).
AMONG_INVITEES = frozenset(("settings-hosts", "settings-ring_users"))


@dataclass
class Row:
    """One control of the edit page and what goes beside it."""

    field: forms.BoundField
    rerender: str = ""
    conditional: bool = False
    note: str = ""
    saved_elsewhere: str = ""
    # For a list of userids: each one with its name from the directory, for the picker.
    people: list | None = None

    @property
    def is_checkbox(self):
        return self.field.widget_type == "checkbox"

    @property
    def is_group(self):
        return self.field.widget_type in ("checkboxselectmultiple", "radioselect")


def row_html(row, *, show_errors=False, touched=(), oob=False):
    """One row of the edit page: its control, label, help, the people picker of a list of
    userids, the notes and (once shown) its messages.

    Written here rather than in a template: a fieldset redraw is a dozen rows, and through
    the template engine they took most of the redraw's time. The controls themselves are the
    forms' own (rendered by meetings.rendering)."""
    escape = conditional_escape
    bound = row.field
    name = escape(bound.html_name)
    errors = bound.errors if show_errors or bound.html_name in touched else ()
    # The control names its help and its messages (aria-describedby), by these ids.
    bound.messages_shown = bool(errors)
    ids = escape(bound.auto_id)
    classes = "field"
    if row.is_checkbox:
        classes += " inline"
    if errors:
        classes += " has-error"
    parts = [f'<div class="{classes}" id="field-{name}"']
    if oob:
        parts.append(' hx-swap-oob="true"')
    if row.rerender:
        parts.append(f' data-rerender="{escape(row.rerender)}"')
    parts.append(">\n  ")
    if row.is_checkbox:
        parts.append(f"{bound} {bound.label_tag()}")
    elif row.is_group:
        parts.append(
            f'<span class="label" id="label-{name}">{escape(bound.label)}</span>\n'
            f'  <ul class="choices" role="group" aria-labelledby="label-{name}">\n    '
        )
        parts.extend(
            f"<li><label>{choice.tag()} {escape(choice.choice_label)}</label></li>"
            for choice in bound
        )
        parts.append("\n  </ul>")
    else:
        parts.append(f"{bound.label_tag()}\n  {bound}")
    if bound.help_text:
        parts.append(f'\n  <p class="help" id="{ids}_helptext">{escape(bound.help_text)}</p>')
    if row.people is not None:
        parts.append("\n  " + _people_picker(bound.html_name, row.people))
    if row.note:
        parts.append(f'\n  <p class="note added">{escape(row.note)}</p>')
    if row.saved_elsewhere:
        parts.append(
            f'\n  <p class="saved-elsewhere">{escape(_("Saved by someone else:"))} '
            f"{escape(row.saved_elsewhere)}</p>"
        )
    if errors:
        parts.append(f'\n  <div id="{ids}_error">')
        parts.extend(f'\n  <p class="error">{escape(error)}</p>' for error in errors)
        parts.append("\n  </div>")
    if row.conditional:
        # Tells the next request this field was on the page, so that its absence means "off".
        parts.append(f'\n  <input type="hidden" name="rendered" value="{name}">')
    parts.append("\n</div>")
    # Safe: every value is escaped, and the controls are the forms' own safe HTML.
    return mark_safe("".join(parts))  # noqa: S308


def _people_picker(html_name, entries):
    """The chips of a list of people and the directory search that adds to it. The search
    is outside the meeting form (form=…), so that it is never posted, and its change event
    stops there: only the textarea's change may ask the form's listener for a redraw."""
    name = conditional_escape(html_name)
    if html_name in AMONG_INVITEES:
        # Searching, it marks who is invited already (a new meeting's organiser, who is
        # invited once saved, too); it lists them on focus.
        scope = (
            "hx-include=\"[name='invitees'], [name='admin_userid']\" "
            'hx-params="q,for,invitees,admin_userid"\n'
            '  hx-trigger="focus, input changed delay:250ms, search"'
        )
    else:
        scope = 'hx-params="q,for"\n  hx-trigger="input changed delay:250ms, search"'
    return (
        f"{presenters.people_chips(html_name, entries)}\n"
        f'<input type="search" id="people-search-{name}" name="q" form="people-search-{name}"\n'
        '  class="people-search" autocomplete="off" hx-preserve="true"\n'
        f'  placeholder="{conditional_escape(_("Search by name, userid or department"))}"\n'
        f'  aria-label="{conditional_escape(_("Search the directory"))}"\n'
        f'  hx-get="{conditional_escape(reverse("meetings:people_search"))}" '
        f"""hx-vals='{{"for": "{name}"}}'\n"""
        f'  {scope} hx-target="#people-results-{name}"\n'
        '  hx-swap="innerHTML" hx-sync="this:replace" onchange="event.stopPropagation()">\n'
        # Kept across redraws too: leaving a field for the search box redraws its fieldset,
        # which would otherwise empty the matches the focus has just asked for.
        f'<div class="people-results-box" id="people-results-{name}" aria-live="polite"'
        ' hx-preserve="true"></div>'
    )


@dataclass
class Section:
    key: str
    legend: StrOrPromise
    page: EditPage

    @cached_property
    def rows(self):
        shown = [
            declared.html_name
            for declared in fields.SECTION_FIELDS[self.key]
            if self.page.editor.shows(declared.html_name)
        ]
        # The names of every list of people in the section, in one query.
        self.page.look_up(
            userid
            for name in shown
            if fields.BY_HTML_NAME[name].kind in PEOPLE_KINDS
            for userid in people.split_userids(self.page.editor.field(name).value())
        )
        return [self.page.row(name) for name in shown]


@dataclass
class Change:
    label: str
    old: str
    new: str
    secret: bool = False
    # For a list of userids: the people before and after, by name.
    old_people: list | None = None
    new_people: list | None = None


def rerender(declared):
    """What a change of this field draws again: its section when its value decides what the
    section shows, the recurrence for what the preview reads, else nothing but the changes."""
    if declared.section == "recurrence" or declared.path in RECURRENCE_INPUTS:
        return "recurrence"
    if fields.controls(declared.path) or declared.kind in PEOPLE_KINDS:
        return declared.section
    return ""


class EditPage:
    """What the edit page shows of a `forms.MeetingEditor`."""

    def __init__(self, editor):
        self.editor = editor
        self._rows = {}

    def look_up(self, userids):
        """Read the directory's entries of these userids, those not read yet, in one query."""
        self.editor.directory.read(userids)

    @cached_property
    def sections(self):
        return {key: Section(key, legend, self) for key, legend in fields.SECTIONS.items()}

    def row(self, html_name):
        """The shown row of a field, or None; made when first asked for."""
        if not self.editor.shows(html_name):
            return None
        if html_name not in self._rows:
            self._rows[html_name] = self._row(fields.BY_HTML_NAME[html_name])
        return self._rows[html_name]

    def _row(self, declared):
        name = declared.html_name
        bound = self.editor.field(name)
        listed = None
        if declared.kind in PEOPLE_KINDS:
            # As the form read the text (a person typed by name is their userid there), or
            # the text itself when it could not be read.
            userids = getattr(bound.form, "cleaned_data", {}).get(bound.name)
            several = []
            if not isinstance(userids, list):
                # Each name that names one person still shows as that person; one that names
                # several is marked so.
                userids, several = people.resolve(people.split_userids(bound.value()))
            listed = self.editor.directory.entries(userids)
            for entry in listed:
                entry.ambiguous = entry.userid in several
        conflict = self.editor.conflicts.get(declared.path)
        return Row(
            bound,
            rerender=rerender(declared),
            conditional=declared.path in fields.CONDITIONAL,
            note=self.editor.notes.get(name, ""),
            saved_elsewhere="" if conflict is None else self._theirs(declared.path, conflict),
            people=listed,
        )

    @property
    def field_errors(self):
        """(html name, label, first message) of each shown field with a problem, in the
        page's order: the banner after a refused save links to each."""
        return [
            (row.field.html_name, row.field.label, row.field.errors[0])
            for section in self.sections.values()
            for row in section.rows
            if row.field.errors
        ]

    @property
    def conflict_rows(self):
        """(label, their value) of each field someone else saved differently."""
        return [
            (label(path), self._theirs(path, theirs))
            for path, theirs in self.editor.conflicts.items()
        ]

    def _theirs(self, path, value):
        return _("changed") if path in SECRETS else describe(path, value, self.editor.calendars)

    @cached_property
    def changes(self):
        editor = self.editor
        return changes(editor.meeting, editor.body, editor.calendars, editor.directory)

    @cached_property
    def cancels_lost(self):
        """Said beside the changes: what a move of the series does to cancelled meetings."""
        if self.editor.creating:
            return []
        lost = cancels_lost(self.editor.meeting, self.editor.body, timezone.get_current_timezone())
        return [local_span(o["start"], o["end"]) for o in lost]

    @cached_property
    def preview(self):
        body = self.editor.body
        reminders = body.get("reminders") or {}
        start, duration = body.get("meeting_start"), body.get("meeting_duration")
        if reminders.get("is_repeat") != 1 or start is None or duration is None:
            return None
        try:
            return recurrence.preview(
                start, duration, reminders, tz=timezone.get_current_timezone(), limit=10
            )
        except (OverflowError, OSError, ValueError):
            # A start the rules refuse anyway may lie beyond what a calendar can count.
            return None


def cancels_lost(meeting, body, tz):
    """The occurrences cancelled here (in WeCom already, or still to be) whose date the
    schedule of `body` no longer has: WeCom names occurrences by their start, so a series
    moved to other days holds every meeting of its new schedule (sync.plan.follow_cancels)."""
    reminders = body.get("reminders") or {}
    start, duration = body.get("meeting_start"), body.get("meeting_duration")
    cancelled = [
        o
        for o in meeting.sub_meetings
        if o.get("deleted") or o["sub_meetingid"] in meeting.cancel_sub_meetingids
    ]
    if not cancelled or reminders.get("is_repeat") != 1 or start is None or duration is None:
        return []
    saved = payloads.desired_body(meeting)
    if (start, reminders) == (saved.get("meeting_start"), saved.get("reminders")):
        return []
    try:
        series = recurrence.preview(start, duration, reminders, tz=tz, limit=MAX_OCCURRENCES)
    except (OverflowError, OSError, ValueError):
        return []
    dates = {moment.astimezone(tz).date().isoformat() for moment in series.occurrences}
    return [o for o in cancelled if local_date(o["start"], tz) not in dates]


def changes(meeting, body, calendars, directory=None):
    """Each field `body` changes of the saved meeting, old and new in words, secrets masked;
    the people named are read through `directory` (a people.Directory) when given."""
    saved = payloads.desired_body(meeting)
    # The same notion of "changed" as the save and the sync (payloads.same).
    changed = list(payloads.changes(saved, body, meeting.admin_userid))
    named = presenters.person_labels(
        (
            userid
            for path, old, new in changed
            if path in USERID_LISTS
            for userid in (*_userid_list(old), *_userid_list(new))
        ),
        directory,
    )
    rows = []
    for path, old, new in changed:
        if path in SECRETS:
            rows.append(Change(label(path), _mask(old), _mask(new), secret=True))
            continue
        change = Change(label(path), describe(path, old, calendars), describe(path, new, calendars))
        if change.old == change.new and path not in USERID_LISTS:
            # Unset and WeCom's default ("No" both): no change to anyone reading it.
            continue
        if path in USERID_LISTS:
            change.old_people = presenters.label_people(_userid_list(old), named)
            change.new_people = presenters.label_people(_userid_list(new), named)
        rows.append(change)
    return rows


def _userid_list(value):
    """The userids of a body value: a {"userid": […]} object, a bare list, or nothing."""
    if isinstance(value, dict):
        value = value.get("userid")
    return [u for u in value or () if isinstance(u, str)]


def _mask(value):
    return MASK if value else _("not set")
