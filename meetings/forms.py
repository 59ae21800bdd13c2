"""The forms of the meeting pages: the list's filters and the edit page.

The edit page is three Django forms over one POST: the meeting's own fields and its invitees
(no prefix), `settings-…` and `reminders-…`, each control named as in WeCom's update body.
Their fields are made from the declarations (meetings.fields), one form field per kind.
The forms only parse (text into dates, numbers and lists of userids). Every WeCom rule, and
which fields apply at all, comes from `rules`; `MeetingEditor` ties the three forms together,
builds the update body, runs the rules over it and puts each problem beside its field. What
the page shows of it (sections, rows, the changes panel, the preview) is `meetings.sections`.

The new-meeting page is the same editor over an unsaved meeting (`new_meeting`), with one
more field: the organiser (`admin_userid`), who WeCom requires to be among the invitees.
"""

import copy
import re
import time as clock
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connection
from django.db.models import BooleanField, Field, Q
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wecom.recurrence import REPEAT_WEEKLY, UNTIL_COUNT

from . import bounds, fields, live, payloads, people, presenters, rules, search
from .fields import FIELDS
from .models import Meeting, MeetingSettings, Reminders, Status, SyncState
from .people import USERID_SEPARATORS
from .presenters import weekday_name
from .rendering import RENDERER

# The value format of <input type="datetime-local">, minutes being all the page offers.
LOCAL_INPUT = "%Y-%m-%dT%H:%M"
# The last moment of the chosen day: a series "until 30 June" still meets on 30 June.
END_OF_DAY = time(23, 59, 59)

# The page's sections, each the form names of its fields in order (meetings.fields).
SECTIONS = {
    section: tuple(f.html_name for f in declared)
    for section, declared in fields.SECTION_FIELDS.items()
}
# The fields that some other value can hide. Only these can be missing from a form because
# they were not shown.
CONDITIONAL = frozenset(FIELDS[path].html_name for path in fields.CONDITIONAL)
# The body's objects that, if wrong as a whole, no single field can show.
WHOLE_BODY = frozenset((rules.NON_FIELD, "settings", "reminders"))


# Each ID is one get_info call made while the administrator waits.
IMPORT_LIMIT = 50
SPACED_CODE = re.compile(r"(?<!\d)(\d{3})[ -](\d{3})[ -](\d{3})(?!\d)")
# The label a code or ID is copied with from WeCom's meeting card ("会议号：123 456 789") or
# its invitation ("#企业微信会议：123-456-789").
MEETING_LABEL = re.compile(
    r"#?(会议号|会议\s*ID|(企业微信|腾讯)会议|meeting\s*(code|ID))\s*[:：]?", re.IGNORECASE
)
# A label with what it names: a code as the clients write it, or an ID.
LABELLED = re.compile(
    MEETING_LABEL.pattern + r"\s*(?P<reference>\d{3}[ -]?\d{3}[ -]?\d{3}(?!\d)|[!-~]+)",
    re.IGNORECASE,
)
# A meeting code is digits, a meetingid printable ASCII: a word in any other script is
# neither, and is refused here rather than asked of WeCom.
MEETING_REFERENCE = re.compile(r"[!-~]+")


def read_people(text):
    """The userids of people typed as text, separated by commas, spaces or new lines. People
    think in names: one typed instead of a userid stands for the one person of the directory
    so named (ValidationError when it names several). Anything else is left for the rules."""
    userids, several = people.resolve(people.split_userids(text))
    if several:
        raise forms.ValidationError(
            _(
                "Several people are named %(names)s: pick the one you mean by name search, "
                "or type their userid."
            )
            % {"names": "、".join(several)},
            code="ambiguous_name",
        )
    return userids


class UseridsField(forms.CharField):
    """Userids typed as text, separated by commas, spaces or new lines; the rules judge each."""

    # Preserved across the edit page's redraws: the browser's text is newer than the server's.
    widget = forms.Textarea(attrs={"rows": 2, "hx-preserve": "true"})

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "Userids, or names from the directory, separated by commas, spaces or new lines."
            ),
        )
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        return read_people(super().to_python(value))

    def run_validators(self, value):
        # CharField's validators (the NUL check among them) judge text, not a list: the
        # userids together, once, rather than each of hundreds in turn.
        super().run_validators("\n".join(value))


class OrganiserField(forms.CharField):
    """The one userid who organises a new meeting, with the same picker as the userid lists;
    the rules judge its format."""

    # Preserved across redraws like the lists: the browser's text is newer than the server's.
    # data-single marks a field of one userid, so that a pick from the name search can
    # replace it rather than add to it.
    widget = forms.TextInput(
        attrs={"hx-preserve": "true", "autocomplete": "off", "data-single": "true"}
    )

    def __init__(self, **kwargs):
        super().__init__(required=True, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        # A name stands for the one person of the directory so named, as in the lists.
        found = read_people(text)
        return found[0] if len(found) == 1 else text


class ImportForm(forms.Form):
    """Meetings to bring in, each by its meetingid or by its 会议号 (meeting code)."""

    default_renderer = RENDERER
    meetingids = forms.CharField(
        label=gettext_lazy("Meeting codes or IDs"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "The 9-digit meeting code shown in WeCom (spaces or dashes allowed), or the "
            "meetingid, of each meeting, separated by commas, spaces or new lines. WeCom lets "
            "this app change only the meetings it created."
        ),
    )

    def clean_meetingids(self):
        typed = self.cleaned_data["meetingids"]
        found = _references(MEETING_LABEL.sub(" ", typed))
        if any(not MEETING_REFERENCE.fullmatch(m) for m in found):
            # A text copied whole, such as an invitation (title, time, link and its
            # "#企业微信会议：…"), is read for what its labels name.
            found = _references(" ".join(m["reference"] for m in LABELLED.finditer(typed))) or found
        wrong = [m for m in found if not MEETING_REFERENCE.fullmatch(m)]
        links = [m for m in found if m not in wrong and "://" in m]
        miscounted = [m for m in found if m.isdigit() and len(m) != 9]
        said = [
            message % {"words": "、".join(f"“{word}”" for word in words)}
            for message, words in (
                (_("%(words)s: neither a meeting code nor a meeting ID."), wrong),
                (
                    _(
                        "%(words)s: a meeting link, which WeCom cannot look a meeting up by. "
                        "Paste the meeting code (会议号) shown with it."
                    ),
                    links,
                ),
                (_("%(words)s: a meeting code has 9 digits."), miscounted),
            )
            if words
        ]
        if said:
            raise forms.ValidationError(said)
        if not found:
            raise forms.ValidationError(gettext_lazy("Enter at least one meeting ID."))
        if len(found) > IMPORT_LIMIT:
            raise forms.ValidationError(
                gettext_lazy("At most %(limit)d meetings at a time.") % {"limit": IMPORT_LIMIT}
            )
        return list(dict.fromkeys(found))


def _references(text):
    """The words of a text of meeting codes and IDs; a code typed as the clients show it
    ("123 456 789") is one code, not three."""
    return [m for m in USERID_SEPARATORS.split(SPACED_CODE.sub(r"\1\2\3", text)) if m]


class CalendarField(forms.ChoiceField):
    """The meeting's calendar. The saved one is always among the choices (MeetingForm), so
    keeping it is valid without reading the others."""

    saved = ""

    def valid_value(self, value):
        return value == self.saved or super().valid_value(value)


class MultilineField(forms.CharField):
    """Text over several lines, as typed: a browser sends a textarea's line breaks as CRLF,
    where WeCom (and the saved meeting) has LF, and an untouched text must not read as
    changed."""

    def to_python(self, value):
        return (super().to_python(value) or "").replace("\r\n", "\n")


# The form field of each kind of declared field (meetings.fields.KINDS). Typed values are kept
# as typed (no stripping): a title saved with a trailing space must not read as changed.
def _form_field(declared):
    label = declared.form_label or presenters.label(declared.path)
    kind, help_text = declared.kind, declared.help_text
    if kind == "text":
        return forms.CharField(label=label, required=False, strip=False)
    if kind == "multiline":
        return MultilineField(
            label=label, required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3})
        )
    if kind == "moment":
        return forms.DateTimeField(
            label=label,
            input_formats=[LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"],
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
        )
    if kind == "minutes":
        return forms.IntegerField(label=label, widget=forms.NumberInput(attrs={"step": 1}))
    if kind == "calendar":
        return CalendarField(label=label, required=False)
    if kind == "organiser":
        return OrganiserField(label=label, help_text=help_text)
    if kind == "userids":
        return UseridsField(label=label)
    if kind == "digits":
        widget = forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"})
        return forms.CharField(
            label=label, required=False, strip=False, widget=widget, help_text=help_text
        )
    if kind in ("flag", "yes_no"):
        return forms.BooleanField(label=label, required=False)
    if kind == "choice":
        coerce: Callable[[Any], Any] = type(declared.values[0])
        return forms.TypedChoiceField(label=label, choices=declared.choices, coerce=coerce)
    if kind == "days":
        return forms.TypedMultipleChoiceField(
            label=label,
            choices=declared.choices,
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
    if kind == "number":
        return forms.IntegerField(
            label=label,
            required=False,
            widget=forms.NumberInput(attrs={"step": 1}),
            help_text=help_text,
        )
    if kind == "date":
        return forms.DateField(
            label=label,
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            help_text=help_text,
        )
    raise ValueError(f"No form field for a {kind} field ({declared.path}).")


class _SharedFields(dict):
    """A form class's fields, shared by its instances rather than deep-copied into each.

    Django copies every field, widget and choice list for each form it builds: the edit page
    builds three forms a request, and the copies were most of its parsing time. Nothing here
    changes a field once built; a form that needs a field of its own (the calendars, the
    custom repeat's types) puts a new one in its own `fields`."""

    def __deepcopy__(self, memo):
        return dict(self)


def _declared_fields(group):
    """A class decorator: the form's fields are its own and the declared fields of one object
    of the body ("" the top level, "settings", "reminders"), shared by its instances."""

    def decorate(form_class):
        declared = {
            declared.name: _form_field(declared)
            for declared in fields.DECLARED
            if declared.group == group and not declared.creating_only
        }
        form_class.base_fields = _SharedFields({**form_class.base_fields, **declared})
        return form_class

    return decorate


class RowField(forms.BoundField):
    """A field of the edit page, whose messages show once it has been left, changed
    (`sections.row_html` says whether in `messages_shown`): until then its control claims no
    error, so that a screen reader does not announce one that nobody can see."""

    messages_shown = True

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if not self.messages_shown:
            attrs.pop("aria-invalid", None)
            hidden = f"{self.auto_id}_error"
            described = [ref for ref in attrs.pop("aria-describedby", "").split() if ref != hidden]
            if described:
                attrs["aria-describedby"] = " ".join(described)
        return attrs


@_declared_fields("")
class MeetingForm(forms.Form):
    default_renderer = RENDERER
    bound_field_class = RowField
    # Never negative, as the model's: a save by someone else since the page was loaded is told
    # by counting the versions in between, and one far below would count for ever.
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, calendars=(), current_cal_id="", creating=False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            # Only a new meeting asks for it: the edit page never changes the organiser.
            self.fields["admin_userid"] = _form_field(FIELDS["admin_userid"])

        def choices():
            listed = [("", _("No calendar"))] + [(c.cal_id, c.summary) for c in calendars]
            if current_cal_id and current_cal_id not in {c.cal_id for c in calendars}:
                # Kept selectable so that saving another field does not drop the calendar.
                unknown = _("%(cal_id)s (no calendar of this app: deleted, or never one)") % {
                    "cal_id": current_cal_id
                }
                listed.append((current_cal_id, unknown))
            return listed

        self.fields["cal_id"] = field = _form_field(FIELDS["cal_id"])
        field.saved = current_cal_id
        # A callable: the calendars (a query) are read when the list is drawn or another one is
        # chosen, not for a redraw of another fieldset.
        field.choices = choices


@_declared_fields("settings")
class SettingsForm(forms.Form):
    default_renderer = RENDERER
    bound_field_class = RowField


@_declared_fields("reminders")
class RemindersForm(forms.Form):
    default_renderer = RENDERER
    bound_field_class = RowField

    def limit_repeat_types(self, custom):
        """A custom repeat is daily, weekly or monthly only: offer no more. Parsing still
        takes every type, so a forged one meets the rules' message instead of a bare refusal."""
        if custom:
            # A copy: the form class's fields are shared (_SharedFields). The bound field,
            # made while parsing, is what the page draws.
            bound = self["repeat_type"]
            bound.field = self.fields["repeat_type"] = copy.deepcopy(bound.field)
            bound.field.widget.choices = list(fields.CUSTOM_REPEAT_CHOICES)


def new_meeting(organiser=""):
    """A blank, unsaved meeting for the new-meeting page: the model's defaults, 30 minutes
    starting an hour after the next full hour, so that the start is in the future however
    long the form stays open; organised by `organiser` (a userid) when one is given."""
    start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    meeting = Meeting(start=start, duration=30 * 60, admin_userid=organiser)
    meeting.settings = MeetingSettings()
    meeting.reminders = Reminders()
    return meeting


# How a meeting made recurring starts to repeat: every week on the start's weekday, for a
# number of meetings the page shows (rather than WeCom's default of daily, up to 200).
FIRST_REPEAT_COUNT = 10
FIRST_REPEAT = {
    "repeat_type": REPEAT_WEEKLY,
    "is_custom_repeat": False,
    "repeat_until_type": UNTIL_COUNT,
    "repeat_until_count": FIRST_REPEAT_COUNT,
}


def _default(name):
    return cast(Field, Reminders._meta.get_field(name)).get_default()


def saved_data(meeting):
    """The meeting's saved state as the edit form posts it: every field, shown or not."""
    settings, reminders = meeting.settings, meeting.reminders
    data = QueryDict(mutable=True)
    data["version"] = str(meeting.version)
    if meeting.pk is None:
        # Asked for on the new-meeting page only.
        data["admin_userid"] = meeting.admin_userid
    data["title"] = meeting.title
    data["meeting_start"] = timezone.localtime(meeting.start).strftime(LOCAL_INPUT)
    data["meeting_duration"] = str(meeting.duration // 60)
    data["description"] = meeting.description
    data["location"] = meeting.location
    data["cal_id"] = meeting.cal_id
    data["invitees"] = ", ".join(meeting.invitees)
    for name in payloads.SETTINGS_SCALARS:
        _put(data, f"settings-{name}", getattr(settings, name))
    for name in payloads.SETTINGS_LISTS:
        data[f"settings-{name}"] = ", ".join(getattr(meeting, name))
    for name in payloads.REMINDERS_FIELDS:
        value = getattr(reminders, name)
        if not reminders.is_repeat and name in FIRST_REPEAT and value == _default(name):
            # Hidden until the meeting is made recurring, and then revealed with these values
            # unless it keeps some chosen earlier.
            value = FIRST_REPEAT[name]
        if name == "repeat_until" and value is not None:
            value = timezone.localdate(value).isoformat()
        elif name == "repeat_interval" and value is None:
            # Shown only for a custom repeat, which needs one: "every 1" is the usual start.
            value = 1
        _put(data, f"reminders-{name}", value)
    return data


def _put(data, name, value):
    if isinstance(value, bool):
        # A checkbox that is off sends nothing.
        if value:
            data[name] = "on"
    elif isinstance(value, list):
        data.setlist(name, [str(item) for item in value])
    else:
        data[name] = "" if value is None else str(value)


def _copied(data):
    """A mutable copy of posted data. A QueryDict's copy() is a deepcopy; its lists of
    strings need no more than new lists."""
    copy = QueryDict(mutable=True)
    for name, values in data.lists():
        copy.setlist(name, list(values))
    return copy


def _with_unseen_saved(data, saved):
    """The posted data, with the saved value of every conditional field the page did not show.

    A field that was hidden sends nothing, and nothing reads as "off" or "empty"; when a
    change reveals it, it must come back as saved, not reset. The page lists what it showed
    in `rendered`."""
    merged = _copied(data)
    shown = set(data.getlist("rendered"))
    for name in CONDITIONAL - shown:
        merged.pop(name, None)
        if saved.getlist(name):
            merged.setlist(name, saved.getlist(name))
    for path, value in rules.REVEALED.items():
        name = FIELDS[path].html_name
        if name not in shown:
            _put(merged, name, value)
    return merged


class MeetingEditor:
    """The edit page's forms over one meeting: the update body they make and the body's
    problems next to their fields. What the page shows of it is `sections.EditPage`'s.

    Without `data` it shows the saved meeting. With `data` (a POST) every value typed is kept
    as typed; a field the rules say does not apply is neither shown nor saved, and an error
    of its parsing is dropped with it.

    Over an unsaved meeting (`new_meeting`) it is the new-meeting page: the "saved" state is
    the blank meeting's defaults, and the organiser is asked for too."""

    def __init__(self, meeting, data=None, *, calendars=()):
        self.meeting = meeting
        self.creating = meeting.pk is None
        # Read only if a calendar is named (the changes, a conflict): most redraws name none.
        # `calendars` may be a query not run yet.
        self.calendars = SimpleLazyObject(lambda: {c.cal_id: c.summary for c in calendars})
        # The people this request has looked up: the messages, the pickers and the changes
        # panel name the same people, read once.
        self.directory = people.Directory()
        saved = saved_data(meeting)
        if data is None:
            self.data = saved
        else:
            self.data = _with_unseen_saved(data, saved)
        self.forms = self._forms(self.data, calendars)
        self.main = self.forms[""]
        self.settings = self.forms["settings"]
        self.reminders = self.forms["reminders"]
        self.notes = {}
        # The values someone else saved meanwhile, by body path (rebased).
        self.conflicts = {}
        self._clean(saved, calendars)

    def _forms(self, data, calendars):
        return {
            "": MeetingForm(
                data,
                calendars=calendars,
                current_cal_id=self.meeting.cal_id,
                creating=self.creating,
                label_suffix="",
            ),
            "settings": SettingsForm(data, prefix="settings", label_suffix=""),
            "reminders": RemindersForm(data, prefix="reminders", label_suffix=""),
        }

    # --- parsing and the rules ---------------------------------------------------------

    def _clean(self, saved, calendars):
        for form in self.forms.values():
            form.is_valid()
        values = {prefix: dict(form.cleaned_data) for prefix, form in self.forms.items()}
        if any(form.errors for form in self.forms.values()):
            # A value that does not parse is shown with its error; meanwhile the saved value
            # stands in for it, so that the rest (visibility, preview, changes) still makes
            # sense. Parsed only then: most requests have nothing to stand in for.
            saved_forms = self._forms(saved, calendars)
            for prefix, form in saved_forms.items():
                form.is_valid()
                values[prefix] = {**form.cleaned_data, **values[prefix]}
        self.admin_userid = self._organiser(values[""])
        body = self._body(values)
        tz = timezone.get_current_timezone()
        body["reminders"], added = rules.complete_reminders(
            body["reminders"], body["meeting_start"], tz
        )
        self.visible = (
            {
                declared.html_name
                for declared in fields.DECLARED
                if declared.group == "" and (self.creating or not declared.creating_only)
            }
            | {f"settings-{n}" for n in rules.applicable_settings(body["settings"])}
            | {f"reminders-{n}" for n in rules.applicable_reminders(body["reminders"])}
        )
        self.reminders.limit_repeat_types(body["reminders"].get("is_custom_repeat") == 1)
        for form in self.forms.values():
            for name in list(form.errors):
                if name != NON_FIELD_ERRORS and form[name].html_name not in (
                    self.visible | {"version"}
                ):
                    del form.errors[name]
        self.problems = rules.check_meeting(
            body, now=int(clock.time()), admin_userid=self.admin_userid
        )
        if self.creating and self.admin_userid:
            self.problems += rules.check_userids({"userid": [self.admin_userid]}, "admin_userid")
        self.body = rules.prune(body)
        for name, day in added.items():
            self.notes[f"reminders-{name}"] = self._added_note(name, day)
            # Shown ticked, as WeCom will hold it, rather than only said in the note.
            posted = f"reminders-{name}"
            self.data.setlist(posted, [*self.data.getlist(posted), str(day)])
        self._place(self.problems)

    def _body(self, values):
        main, settings, reminders = values[""], values["settings"], values["reminders"]
        body = {name: main.get(name) for name in payloads.BASIC_FIELDS}
        body["meeting_start"] = self._start(main.get("meeting_start"))
        body["meeting_duration"] = self._duration(main.get("meeting_duration"))
        body["invitees"] = {"userid": self._with_organiser(main.get("invitees") or [])}
        body["settings"] = {name: settings.get(name) for name in payloads.SETTINGS_SCALARS}
        for name in payloads.SETTINGS_LISTS:
            body["settings"][name] = {"userid": settings.get(name) or []}
        body["reminders"] = {name: reminders.get(name) for name in payloads.REMINDERS_FIELDS}
        for flag in payloads.REMINDERS_FLAGS:
            body["reminders"][flag] = int(bool(reminders.get(flag)))
        body["reminders"]["repeat_until"] = self._until(reminders.get("repeat_until"))
        return body

    def _organiser(self, main):
        if not self.creating:
            return self.meeting.admin_userid
        return main.get("admin_userid") or ""

    def _with_organiser(self, invitees):
        """A new meeting's invitees with its organiser, first, when they were left out:
        WeCom requires the organiser among the invitees, and the page says it added them."""
        organiser = self.admin_userid
        if not self.creating or not rules.is_userid(organiser):
            return invitees
        if organiser.lower() in {userid.lower() for userid in invitees}:
            return invitees
        self.notes["invitees"] = _(
            "%(userid)s was added: the organiser is always among the invitees."
        ) % {"userid": presenters.person_labels([organiser], self.directory)[organiser]}
        return [organiser, *invitees]

    # The page shows minutes and dates while WeCom keeps seconds: a value shown as saved is
    # taken as the saved value, so that saving an untouched form changes nothing.

    def _start(self, moment):
        if moment is None:
            return None
        saved = self.meeting.start
        if moment == timezone.localtime(saved).replace(second=0, microsecond=0):
            return payloads.to_unix(saved)
        return self._unix(moment, "meeting_start")

    def _duration(self, minutes):
        if minutes is None:
            return None
        if minutes == self.meeting.duration // 60:
            return self.meeting.duration
        return minutes * 60

    def _until(self, day):
        if day is None:
            return None
        saved = self.meeting.reminders.repeat_until
        if saved is not None and timezone.localdate(saved) == day:
            return payloads.to_unix(saved)
        return self._unix(timezone.make_aware(datetime.combine(day, END_OF_DAY)), "repeat_until")

    def _unix(self, moment, name):
        seconds = bounds.seconds(moment)
        if seconds is None:
            form = self.reminders if name == "repeat_until" else self.main
            form.add_error(name, _("Enter a date WeCom can use."))
        return seconds

    def _added_note(self, name, day):
        if name == "repeat_day_of_week":
            return _("%(day)s was added: WeCom always includes the start's own weekday.") % {
                "day": weekday_name(day)
            }
        return _(
            "Day %(day)d was added: WeCom always includes the start's own day of the month."
        ) % {"day": day}

    def _locate(self, name):
        prefix, _dash, field = name.rpartition("-")
        form = self.forms.get(prefix)
        if form is None or field not in form.fields:
            return None, None
        return form, field

    def _place(self, problems):
        """Each problem beside its field; one about a field not shown (or about no field) at
        the top of the form, named, so that nothing the rules say goes unseen."""
        failed = {
            form[name].html_name
            for form in self.forms.values()
            for name in form.errors
            if name != NON_FIELD_ERRORS
        }
        # A message about a person names them: "李四 (lisi) is a host but is not invited".
        mentioned = [p.message.params["userid"] for p in problems if "userid" in p.message.params]
        if mentioned:
            # Such a message is about a list of people, and the page then draws that list's
            # section, names beside each person: one query reads them all.
            self.directory.read(
                [
                    *mentioned,
                    *(
                        userid
                        for path in fields.USERID_LISTS
                        for userid in people.split_userids(self.data.get(fields.html_name(path)))
                    ),
                ]
            )
        named = presenters.person_labels(mentioned, self.directory)
        for problem in problems:
            # The form requires both halves of the time, so a missing one already has its
            # own message.
            if problem.code == rules.MISSING_PAIR:
                continue
            params = problem.message.params
            if params.get("userid") in named:
                params = {**params, "userid": named[params["userid"]]}
            message = str(rules.Message(problem.message.template, **params))
            name = fields.html_name(problem.field)
            form, field = self._locate(name)
            if form is not None and name in self.visible:
                if name not in failed:
                    form.add_error(field, message)
            elif problem.field in WHOLE_BODY:
                self.main.add_error(None, message)
            else:
                self.main.add_error(None, f"{presenters.label(problem.field)}: {message}")

    # --- what the page shows -----------------------------------------------------------

    def is_valid(self):
        return not any(form.errors for form in self.forms.values())

    @property
    def loaded_version(self):
        return self.main.cleaned_data["version"]

    @property
    def non_field_errors(self):
        errors = [str(e) for form in self.forms.values() for e in form.non_field_errors()]
        errors += [f"{_('Version')}: {e}" for e in self.main.errors.get("version", [])]
        return errors

    def field(self, name):
        form, field = self._locate(name)
        return form[field]

    def shows(self, html_name):
        """Whether the page shows this field (the rules say it applies)."""
        return html_name in self.visible

    def rebased(self, current, before, *, calendars=()):
        """This form over `current`, which someone else saved after it was loaded. A field
        only they changed takes their value, so that saving again cannot quietly put back
        what it was; one changed here too keeps what was typed, their value shown beside it,
        so that replacing their edit is a deliberate choice. `before` holds, for each field
        changed since the form was loaded, the record's change row that says what it was
        then (`audit.values_at`); None when the record cannot say, and then every field
        that differs from theirs is shown so."""
        theirs = saved_data(current)
        data = _copied(self.data)
        conflicts = {}
        for path, their_value, mine in payloads.changes(payloads.desired_body(current), self.body):
            was = None if before is None else before.get(path)
            if before is not None and was is None:
                # Nobody else changed it: it differs because it was changed here.
                continue
            if was is not None and not was.get("secret") and payloads.same(was["old"], mine):
                # Changed by them alone.
                name = fields.html_name(path)
                data.pop(name, None)
                if theirs.getlist(name):
                    data.setlist(name, theirs.getlist(name))
                continue
            conflicts[path] = their_value
        data["version"] = str(current.version)
        editor = MeetingEditor(current, data, calendars=calendars)
        editor.conflicts = conflicts
        editor.main.add_error(
            None,
            _(
                "Someone else saved this meeting after you opened it, so nothing was saved yet. "
                "The form now holds their changes with yours; where you both changed a field, "
                "their value is shown beside it. Save again to keep what the form shows."
            ),
        )
        return editor


class DayField(forms.DateField):
    """A date the list can filter by: a day that begins at a moment the database can compare
    (meetings.bounds), which the first day of year 1 east of Greenwich does not."""

    def validate(self, value):
        super().validate(value)
        if value is not None and not bounds.has_start(value):
            raise forms.ValidationError(
                _("Enter a date from %(first)s to %(last)s.")
                % {"first": bounds.first_day().isoformat(), "last": date.max.isoformat()},
                code="out_of_range",
            )


# Every meeting whose last saved change WeCom does not have yet, whatever the reason.
UNSYNCED = "unsynced"
# Every meeting whose sync waits for a person: failed, or a conflict to settle.
ATTENTION = "attention"


class MeetingFilterForm(forms.Form):
    default_renderer = RENDERER
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": gettext_lazy("Title, name, department, meeting code or ID"),
            }
        ),
    )
    status = forms.TypedChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", gettext_lazy("Any status")), *Status.choices],
    )
    date_from = DayField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = DayField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    sync = forms.ChoiceField(
        label=gettext_lazy("WeCom"),
        required=False,
        choices=[
            ("", gettext_lazy("Any sync state")),
            (UNSYNCED, gettext_lazy("Not synced")),
            (ATTENTION, gettext_lazy("Needs attention")),
            *SyncState.choices,
        ],
    )
    past = forms.BooleanField(label=gettext_lazy("Include past meetings"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self):
        begin, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        if begin and end and end < begin:
            # Else the list would only say that no meeting matches.
            self.add_error("date_to", _("The end date is before the start date."))
        return self.cleaned_data

    def filter(self, meetings):
        """The meetings that match, in the order the list shows them; a filter typed wrong is
        left out (and shown as wrong).

        Without dates the list starts today, soonest first; with past meetings included it
        shows the newest first. A recurring series is in a range when any occurrence WeCom
        listed is, not only its first."""
        self.is_valid()
        wanted = self.cleaned_data
        q = (wanted.get("q") or "").strip()
        # Several words narrow the search, as in the admin: a meeting matches each (its title,
        # a person or a department). A 会议号 typed with WeCom's spaces is one word.
        for word in [q] if search.meeting_code(q) else q.split():
            meetings = meetings.filter(pk__in=search.matching(word, connection))
        if wanted.get("status") is not None:
            meetings = meetings.filter(status=wanted["status"])
        begin = wanted.get("date_from")
        if begin is None and not wanted.get("past"):
            begin = timezone.localdate()
        end = wanted.get("date_to")
        # Up to the calendar's last day is no end at all (the day after it has no date).
        end = bounds.shifted(end, 1) if end else None
        if begin or end:
            meetings = meetings.filter(
                _occurs_between(begin and bounds.midnight(begin), end and bounds.midnight(end))
            )
        if wanted.get("sync") == ATTENTION:
            meetings = meetings.filter(live.WAITING_FOR_A_PERSON)
        elif wanted.get("sync") == UNSYNCED:
            meetings = meetings.exclude(sync_state=SyncState.SYNCED)
        elif wanted.get("sync"):
            meetings = meetings.filter(sync_state=wanted["sync"])
        if wanted.get("past") and not wanted.get("date_from"):
            return meetings.order_by("-start", "-pk")
        return meetings.order_by("start", "pk")


# Whether any occurrence WeCom listed (Meeting.sub_meetings, unix starts) starts in a range.
OCCURRENCE_IN_RANGE = {
    "postgresql": (
        'EXISTS (SELECT 1 FROM jsonb_array_elements("meetings_meeting"."sub_meetings") o '
        "WHERE (o->>'start')::bigint >= %s AND (o->>'start')::bigint < %s)"
    ),
    "sqlite": (
        'EXISTS (SELECT 1 FROM json_each("meetings_meeting"."sub_meetings") o '
        "WHERE json_extract(o.value, '$.start') >= %s "
        "AND json_extract(o.value, '$.start') < %s)"
    ),
}


def _occurs_between(begin, end):
    """Meetings whose first start, or one of whose occurrences, lies in [begin, end); either
    bound may be None. Indexed comparisons narrow the rows first (a series starts before
    its occurrences and ends with its last one); only a series that spans the range has
    its occurrences read."""
    start, until = (
        int(begin.timestamp()) if begin is not None else -(2**62),
        int(end.timestamp()) if end is not None else 2**62,
    )
    spans = Q()
    first = Q()
    if begin is not None:
        spans &= Q(start__gte=begin) | Q(last_occurrence__gte=start)
        first &= Q(start__gte=begin)
    if end is not None:
        spans &= Q(start__lt=end)
    if begin is None or end is None:
        # Open on one side: the first start, or the last occurrence, already decides.
        return spans
    sql = OCCURRENCE_IN_RANGE[connection.vendor]
    occurrence = RawSQL(sql, [start, until], BooleanField())  # noqa: S611 - bound values
    return spans & (first | Q(occurrence))
