"""Each field of WeCom's meeting/update body, declared once.

https://developer.work.weixin.qq.com/document/path/98154 (meeting/update) lists the body's
fields; docs/wecom.md says what the product relies on. A declaration says what a field is to
the product: its page section, its kind (which decides its form control and how a value is
said in words), its label, its choices with their labels, the fields that decide whether it
applies at all, and whether it is a secret; the limits are the constants below. Everything
else reads them:

- `rules`: the field lists, the value sets, which fields apply (`applies`), choice messages;
- `forms`: the edit page's form fields, one per kind;
- `sections`: the edit page's sections and rows, which fields redraw their section;
- `presenters`: labels, choices by name, the detail page's sections, the masking of secrets;
- `audit`: which changes are secret, and the mask the record writes for them;
- `models`: the choices and the limits of the columns.

Adding a WeCom setting: its declaration here, its model column and migration, a rule in
`rules` if it has one beyond its kind and choices, the translations, and the sandbox (a second
implementation on purpose, which reads nothing from here).

This module imports nothing of the app, so that the models can read it.
"""

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wecom.recurrence import (
    CUSTOM_REPEAT_TYPES,
    REPEAT_DAILY,
    REPEAT_MONTHLY,
    REPEAT_WEEKLY,
    REPEAT_WORKDAYS,
    UNTIL_COUNT,
    UNTIL_DATE,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- limits (98154, and the userid format of WeCom's contact book) -----------------------
# Written here once; the rules check them, the models' constraints hold them, the messages
# quote them.

TITLE_MAX = 255
DURATION_MIN = 300
DURATION_MAX = 86399
DESCRIPTION_MAX = 500
# 98154 says "18 Chinese characters or 36 letters": a Chinese character takes two places.
LOCATION_MAX_WIDTH = 36
CAL_ID_MAX_BYTES = 64
USERID_MAX = 64
# The characters of a userid; USERID_PATTERN matches one whole userid. The database checks
# the same with USERID_REGEX (models' constraints).
USERID_CHARS = r"A-Za-z0-9_@.\-"
USERID_REGEX = rf"^[{USERID_CHARS}]{{1,{USERID_MAX}}}$"
USERID_PATTERN = re.compile(rf"[{USERID_CHARS}]{{1,{USERID_MAX}}}")
PASSWORD_DIGITS = (4, 6)
PASSWORD_REGEX = rf"^[0-9]{{{PASSWORD_DIGITS[0]},{PASSWORD_DIGITS[1]}}}$"
PASSWORD_PATTERN = re.compile(PASSWORD_REGEX)
HOST_KEY_DIGITS = 6
HOST_KEY_REGEX = rf"^[0-9]{{{HOST_KEY_DIGITS}}}$"
HOST_KEY_PATTERN = re.compile(HOST_KEY_REGEX)
HOSTS_MAX = 10
# WeCom sets no upper bound on the interval, but past two digits it is a typing slip rather
# than a plan (a meeting every 100 weeks), and a bound keeps every capped series (200 × 99
# weeks, 50 × 99 months) well inside the years a calendar can show.
REPEAT_INTERVAL_MAX = 99

# What a secret that is set reads as wherever it is shown or recorded: never its value.
MASK = "••••"

# A flag WeCom takes as a number: 0 no, 1 yes.
NO_YES = ((0, _("No")), (1, _("Yes")))
RING_CHOSEN_USERS = 4
AUTO_RECORD_CLOUD = "cloud"


@dataclass(frozen=True)
class Field:
    """One field of the update body.

    `path` is the body's dotted path ("settings.watermark_type"). `kind` is one of KINDS.
    `when` names, within the same object of the body, the fields that decide whether this
    one applies and the values that make it apply: {"enable_screen_watermark": (True,)}.
    A field applies when each of those fields applies and has one of those values (a value
    left out counting as its `default`, WeCom's default). `invalid` is the message for a value
    outside `choices`."""

    path: str
    section: str
    kind: str
    label: "StrOrPromise"
    choices: tuple = ()
    when: dict = field(default_factory=dict)
    default: object = None
    secret: bool = False
    help_text: object = ""
    invalid: "StrOrPromise" = ""
    # The edit form's label where it says more than the field's ("Duration (minutes)").
    form_label: object = None
    # Only on the new-meeting page (the organiser); no update changes it.
    creating_only: bool = False

    @property
    def group(self):
        """The body's object holding the field: "settings", "reminders", or "" (the top)."""
        return self.path.rpartition(".")[0]

    @property
    def name(self):
        return self.path.rpartition(".")[2]

    @property
    def html_name(self):
        return html_name(self.path)

    @property
    def values(self):
        return tuple(value for value, _label in self.choices)

    def choice_label(self, value):
        return dict(self.choices).get(value)


def html_name(path):
    """The form's name for a body path: "settings.password" -> "settings-password"."""
    return path.replace(".", "-", 1)


KINDS = (
    "text",  # one line of text
    "multiline",  # text over several lines
    "moment",  # a date and time, unix seconds on the wire
    "minutes",  # a duration typed in minutes, seconds on the wire
    "calendar",  # the cal_id of one of the app's calendars
    "organiser",  # one userid
    "userids",  # {"userid": [...]}
    "digits",  # a secret of digits, typed as text
    "flag",  # true or false
    "yes_no",  # 0 or 1
    "choice",  # one of `choices`
    "days",  # several of `choices`
    "number",  # a whole number
    "date",  # a day, unix seconds on the wire
)

SECTIONS = {
    "basics": _("Basics"),
    "people": _("People"),
    "settings": _("Settings"),
    "recurrence": _("Recurrence and reminders"),
}

# In the order of the edit page, section by section; within settings and reminders, in the
# order of 98154.
DECLARED = (
    Field("title", "basics", "text", _("title")),
    Field("meeting_start", "basics", "moment", _("Start")),
    Field(
        "meeting_duration",
        "basics",
        "minutes",
        _("Duration"),
        form_label=_("Duration (minutes)"),
    ),
    Field("description", "basics", "multiline", _("description")),
    Field("location", "basics", "text", _("location")),
    Field("cal_id", "basics", "calendar", _("Calendar")),
    Field(
        "admin_userid",
        "people",
        "organiser",
        _("organiser"),
        creating_only=True,
        help_text=_(
            "The userid of the person who organises the meeting in WeCom, or their name "
            "from the directory."
        ),
    ),
    Field("invitees", "people", "userids", _("Invitees")),
    Field(
        "settings.password",
        "settings",
        "digits",
        _("meeting password"),
        secret=True,
        help_text=_("4 to 6 digits; empty for no password."),
    ),
    Field("settings.enable_waiting_room", "settings", "flag", _("waiting room")),
    Field("settings.allow_enter_before_host", "settings", "flag", _("may join before the host")),
    Field(
        "settings.enable_enter_mute",
        "settings",
        "choice",
        _("mute on entry"),
        choices=((0, _("Off")), (1, _("On")), (2, _("On when more than 6 people join"))),
        invalid=_(
            "Mute on entry must be off (0), on (1) or on after six people join (2), not %(value)s."
        ),
    ),
    Field(
        "settings.allow_unmute_self",
        "settings",
        "flag",
        _("participants may unmute themselves"),
        default=True,
    ),
    Field(
        "settings.mute_all",
        "settings",
        "flag",
        _("mute everyone"),
        when={"allow_unmute_self": (False,)},
    ),
    Field(
        "settings.allow_external_user",
        "settings",
        "flag",
        _("people outside the company may join"),
    ),
    Field(
        "settings.enable_screen_watermark",
        "settings",
        "flag",
        _("screen watermark"),
        default=False,
    ),
    Field(
        "settings.watermark_type",
        "settings",
        "choice",
        _("watermark style"),
        choices=((0, _("Single row")), (1, _("Multiple rows"))),
        when={"enable_screen_watermark": (True,)},
        invalid=_("The watermark must be a single row (0) or several rows (1), not %(value)s."),
    ),
    Field(
        "settings.auto_record_type",
        "settings",
        "choice",
        _("automatic recording"),
        choices=(
            ("none", _("No automatic recording")),
            ("local", _("Local recording")),
            (AUTO_RECORD_CLOUD, _("Cloud recording")),
        ),
        default="none",
        invalid=_("Automatic recording must be none, local or cloud, not %(value)s."),
    ),
    Field(
        "settings.attendee_join_auto_record",
        "settings",
        "flag",
        _("start cloud recording when a participant joins"),
        when={"auto_record_type": (AUTO_RECORD_CLOUD,)},
    ),
    Field(
        "settings.enable_host_pause_auto_record",
        "settings",
        "flag",
        _("host may pause or stop cloud recording"),
        when={"auto_record_type": (AUTO_RECORD_CLOUD,)},
    ),
    Field("settings.enable_enroll", "settings", "flag", _("registration")),
    Field("settings.enable_host_key", "settings", "flag", _("host key"), default=False),
    Field(
        "settings.host_key",
        "settings",
        "digits",
        _("host key value"),
        secret=True,
        when={"enable_host_key": (True,)},
        help_text=_("6 digits; empty to let WeCom choose one."),
    ),
    Field("settings.hosts", "people", "userids", _("Hosts")),
    Field(
        "settings.remind_scope",
        "people",
        "choice",
        pgettext_lazy("ring reminder", "ring at start"),
        choices=(
            (1, _("Do not ring")),
            (2, _("Ring the hosts only")),
            (3, _("Ring everyone")),
            (RING_CHOSEN_USERS, _("Ring chosen people")),
        ),
        default=2,
        invalid=_(
            "The ring at the start must be nobody (1), the hosts (2), everyone (3) or chosen "
            "people (4), not %(value)s."
        ),
    ),
    Field(
        "settings.ring_users",
        "people",
        "userids",
        _("Ring these people"),
        when={"remind_scope": (RING_CHOSEN_USERS,)},
    ),
    Field(
        "reminders.is_repeat",
        "recurrence",
        "yes_no",
        _("recurring meeting"),
        choices=NO_YES,
        default=0,
        invalid=_("Repeating must be no (0) or yes (1), not %(value)s."),
    ),
    Field(
        "reminders.repeat_type",
        "recurrence",
        "choice",
        _("repeats"),
        choices=(
            (REPEAT_DAILY, _("Daily")),
            (REPEAT_WEEKLY, _("Weekly")),
            (REPEAT_MONTHLY, _("Monthly")),
            (REPEAT_WORKDAYS, _("Every workday")),
        ),
        when={"is_repeat": (1,)},
        default=REPEAT_DAILY,
        invalid=_(
            "The repeat must be daily (0), weekly (1), monthly (2) or on workdays (7), "
            "not %(value)s."
        ),
    ),
    Field(
        "reminders.is_custom_repeat",
        "recurrence",
        "yes_no",
        _("custom repeat"),
        choices=NO_YES,
        when={"is_repeat": (1,)},
        default=0,
        invalid=_("A custom repeat must be no (0) or yes (1), not %(value)s."),
    ),
    Field(
        "reminders.repeat_interval",
        "recurrence",
        "number",
        _("every"),
        when={"is_custom_repeat": (1,)},
        help_text=_("Days, weeks or months between meetings, as the repeat says."),
    ),
    Field(
        "reminders.repeat_day_of_week",
        "recurrence",
        "days",
        _("on weekdays"),
        choices=tuple((day, WEEKDAYS[day - 1]) for day in range(1, 8)),
        when={"is_custom_repeat": (1,), "repeat_type": (REPEAT_WEEKLY,)},
    ),
    Field(
        "reminders.repeat_day_of_month",
        "recurrence",
        "days",
        _("on days of the month"),
        choices=tuple((day, str(day)) for day in range(1, 32)),
        when={"is_custom_repeat": (1,), "repeat_type": (REPEAT_MONTHLY,)},
    ),
    Field(
        "reminders.repeat_until_type",
        "recurrence",
        "choice",
        _("ends"),
        choices=((UNTIL_DATE, _("On a date")), (UNTIL_COUNT, _("After a number of meetings"))),
        when={"is_repeat": (1,)},
        default=UNTIL_DATE,
        invalid=_(
            "The repeat must end on a date (0) or after a number of meetings (1), not %(value)s."
        ),
    ),
    Field(
        "reminders.repeat_until",
        "recurrence",
        "date",
        _("end date"),
        when={"repeat_until_type": (UNTIL_DATE,)},
        help_text=_("Empty: as far as WeCom allows."),
    ),
    Field(
        "reminders.repeat_until_count",
        "recurrence",
        "number",
        _("number of meetings"),
        when={"repeat_until_type": (UNTIL_COUNT,)},
    ),
    Field(
        "reminders.remind_before",
        "recurrence",
        "days",
        _("remind"),
        choices=(
            (0, _("At the start")),
            (300, _("5 minutes before")),
            (900, _("15 minutes before")),
            (3600, _("1 hour before")),
            (86400, _("1 day before")),
        ),
    ),
)

FIELDS = {declared.path: declared for declared in DECLARED}
BY_HTML_NAME = {declared.html_name: declared for declared in DECLARED}
# The page's sections, each its fields in order.
SECTION_FIELDS = {
    section: tuple(f for f in DECLARED if f.section == section) for section in SECTIONS
}
# The body's objects: their fields' names, in order.
GROUPS = {
    group: tuple(f.name for f in DECLARED if f.group == group)
    for group in ("settings", "reminders")
}
SECRETS = frozenset(f.path for f in DECLARED if f.secret)
USERID_LISTS = frozenset(f.path for f in DECLARED if f.kind == "userids")
# The custom repeat offers only some repeat types (98154).
CUSTOM_REPEAT_CHOICES = tuple(
    (value, label)
    for value, label in FIELDS["reminders.repeat_type"].choices
    if value in CUSTOM_REPEAT_TYPES
)


def of(group, kind):
    """The names of a body object's fields of one kind."""
    return tuple(f.name for f in DECLARED if f.group == group and f.kind == kind)


def choices(path):
    """A field's choices as a model column or form field takes them."""
    return list(FIELDS[path].choices)


def _matches(value, wanted):
    # Strictly: True is no 1, and 1 is no True, on WeCom's wire.
    return any(type(value) is type(w) and value == w for w in wanted)


def _conditions(declared):
    """Each (field, values, default) a field's applying needs, its controls' own included."""
    found = []
    for control, wanted in declared.when.items():
        controlling = FIELDS[f"{declared.group}.{control}"]
        found += [(control, wanted, controlling.default), *_conditions(controlling)]
    return tuple(found)


_CONDITIONS = {declared.path: _conditions(declared) for declared in DECLARED}


def applies(group, name, values):
    """Whether a field of `group` applies given the other values of that object (a dict)."""
    for control, wanted, default in _CONDITIONS[f"{group}.{name}"]:
        value = values.get(control)
        if not _matches(default if value is None else value, wanted):
            return False
    return True


def applicable(group, values):
    """The names of a body object's fields that apply, given its values."""
    values = values if isinstance(values, dict) else {}
    return {name for name in GROUPS[group] if applies(group, name, values)}


def controls(path):
    """Whether some other field's applying depends on this one's value."""
    return path in _CONTROLS


_CONTROLS = frozenset(
    f"{declared.group}.{control}" for declared in DECLARED for control in declared.when
)
# The fields that some other value can hide.
CONDITIONAL = frozenset(f.path for f in DECLARED if f.when)
