"""The field rules of WeCom's meeting/update (98154) as plain functions over the update body.

The body is the dict the API takes: the JSON names, unix seconds for times, Python bools,
ints and lists. Any key may be missing (only what is present is checked) and any value may
have the wrong type (reported as a Problem, never raised). None counts as missing.

Which fields apply depends on others (ring_users only when remind_scope is 4, and so on).
`applicable_settings` and `applicable_reminders` are the one statement of that dependency:
the form uses them to show and hide fields, `prune` uses them so that a hidden field's value
never travels, and the checks below ignore a field that does not apply, because the
administrator cannot see it to correct it.

Userids are compared without regard to case, as WeCom's contact book does (its user pages
say a userid is 不区分大小写). Repeated userids are not refused: `prune` keeps the first of
each and `dedupe_userids` says which were dropped, so the page can tell the administrator.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from django.utils.translation import gettext_lazy as _

from wecom.recurrence import (
    CUSTOM_REPEAT_TYPES,
    REPEAT_DAILY,
    occurrence_cap,
)

from . import fields
from .fields import (
    CAL_ID_MAX_BYTES,
    DESCRIPTION_MAX,
    DURATION_MAX,
    DURATION_MIN,
    HOST_KEY_DIGITS,
    HOST_KEY_PATTERN,
    HOSTS_MAX,
    LOCATION_MAX_WIDTH,
    PASSWORD_DIGITS,
    PASSWORD_PATTERN,
    REPEAT_INTERVAL_MAX,
    TITLE_MAX,
    USERID_MAX,
    USERID_PATTERN,
)

if TYPE_CHECKING:
    # A message template: text, or text translated when shown (gettext_lazy).
    from django_stubs_ext import StrOrPromise

T = TypeVar("T")

DEFAULT_INVITEE_CAP = 100
# Past the update call's cap, the worker sends the list with meeting/set_invitees, which takes
# up to 2000: that is the real limit of a meeting's list.
INVITEES_MAX = 2000
REMIND_BEFORE_CHOICES = fields.FIELDS["reminders.remind_before"].values
# meeting_start and repeat_until are uint32 on the wire.
UINT32_MAX = 2**32 - 1

BODY_FIELDS = (
    "title",
    "meeting_start",
    "meeting_duration",
    "description",
    "location",
    "cal_id",
    "invitees",
    "settings",
    "reminders",
)
# The fields' lists, kinds and value sets are their declarations' (meetings.fields).
SETTINGS_FIELDS = fields.GROUPS["settings"]
REMINDERS_FIELDS = fields.GROUPS["reminders"]
SETTINGS_FLAGS = fields.of("settings", "flag")

# Problems about the body as a whole use Django's name for errors that belong to no field.
NON_FIELD = "__all__"
FIELDS = frozenset(
    (NON_FIELD, *BODY_FIELDS)
    + tuple(f"settings.{name}" for name in SETTINGS_FIELDS)
    + tuple(f"reminders.{name}" for name in REMINDERS_FIELDS)
)

INVALID_TYPE = "invalid_type"
BLANK = "blank"
TOO_LONG = "too_long"
IN_PAST = "in_past"
MISSING_PAIR = "missing_pair"
OUT_OF_RANGE = "out_of_range"
INVALID_CHOICE = "invalid_choice"
INVALID_FORMAT = "invalid_format"
INVALID_USERID = "invalid_userid"
TOO_MANY = "too_many"
NOT_INVITED = "not_invited"
MUTE_ALL_REQUIRED = "mute_all_required"
NOT_CUSTOM = "not_custom"
REQUIRED = "required"
BEFORE_START = "before_start"
CODES = frozenset(
    (
        INVALID_TYPE,
        BLANK,
        TOO_LONG,
        IN_PAST,
        MISSING_PAIR,
        OUT_OF_RANGE,
        INVALID_CHOICE,
        INVALID_FORMAT,
        INVALID_USERID,
        TOO_MANY,
        NOT_INVITED,
        MUTE_ALL_REQUIRED,
        NOT_CUSTOM,
        REQUIRED,
        BEFORE_START,
    )
)


class Message:
    """An explanation for the administrator, translated only when it is shown.

    `gettext_lazy(...) % values` would translate at once, in whatever language is active when
    the check runs; this keeps the template and the values apart until `str()`.
    """

    __slots__ = ("template", "params")

    def __init__(self, template: StrOrPromise, **params: object) -> None:
        self.template = template
        self.params = params

    def __str__(self) -> str:
        text = str(self.template)
        return text % self.params if self.params else text

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return str(self.template) == str(other.template) and self.params == other.params
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))


@dataclass(frozen=True)
class Problem:
    """One broken rule: `field` is a dotted path into the body ("settings.password"), `code` a
    stable name for the rule, `message` what the administrator reads."""

    field: str
    code: str
    message: Message


# --- small helpers ---------------------------------------------------------------------


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int in Python, but true is not a number on WeCom's wire.
    return isinstance(value, int) and not isinstance(value, bool)


def _equals(value: object, number: int) -> bool:
    return _is_int(value) and value == number


def _given(mapping: Mapping[str, object], key: str) -> bool:
    return mapping.get(key) is not None


def _value(mapping: Mapping[str, object], key: str, default: object) -> object:
    # A control left out (or None) takes WeCom's default.
    value = mapping.get(key)
    return default if value is None else value


def _show(value: object) -> str:
    # A value echoed back in a message is cut short so that a pasted novel stays readable.
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _problem(field: str, code: str, template: StrOrPromise, **params: object) -> Problem:
    return Problem(field, code, Message(template, **params))


_TYPE_MESSAGES = {
    "text": _("This must be text."),
    "number": _("This must be a whole number."),
    "flag": _("This must be on or off."),
    "list": _("This must be a list."),
    "object": _("This must be a group of fields."),
    "userids": _("This must be a list of userids."),
}


def _wrong_type(field: str, kind: str) -> Problem:
    return Problem(field, INVALID_TYPE, Message(_TYPE_MESSAGES[kind]))


def _int_in_range(
    value: object, field: str, low: int, high: int, template: StrOrPromise
) -> list[Problem]:
    if not _is_int(value):
        return [_wrong_type(field, "number")]
    if not low <= value <= high:
        return [_problem(field, OUT_OF_RANGE, template, min=low, max=high)]
    return []


# --- basic fields ----------------------------------------------------------------------


def check_title(value: object) -> list[Problem]:
    if not isinstance(value, str):
        return [_wrong_type("title", "text")]
    length = len(value.strip())
    if length == 0:
        return [_problem("title", BLANK, _("The title cannot be empty."))]
    if length > TITLE_MAX:
        return [
            _problem(
                "title",
                TOO_LONG,
                _("The title can have at most %(max)d characters; it has %(length)d."),
                max=TITLE_MAX,
                length=length,
            )
        ]
    return []


def check_meeting_start(value: object, now: int) -> list[Problem]:
    if not _is_int(value):
        return [_wrong_type("meeting_start", "number")]
    if value <= now:
        return [_problem("meeting_start", IN_PAST, _("The start must be in the future."))]
    if value > UINT32_MAX:
        return [_problem("meeting_start", OUT_OF_RANGE, _("The start is too far in the future."))]
    return []


def check_meeting_duration(value: object) -> list[Problem]:
    if not _is_int(value):
        return [_wrong_type("meeting_duration", "number")]
    if not DURATION_MIN <= value <= DURATION_MAX:
        return [
            _problem(
                "meeting_duration",
                OUT_OF_RANGE,
                _(
                    "A meeting must last at least %(minutes)d minutes and less than "
                    "%(hours)d hours."
                ),
                minutes=DURATION_MIN // 60,
                hours=(DURATION_MAX + 1) // 3600,
            )
        ]
    return []


def check_time_pair(body: Mapping[str, object]) -> list[Problem]:
    """98154: a change of the start must carry the duration, and the other way round."""
    start, duration = _given(body, "meeting_start"), _given(body, "meeting_duration")
    if start and not duration:
        return [
            _problem(
                "meeting_duration",
                MISSING_PAIR,
                _("Give the duration too: WeCom changes the start and the duration together."),
            )
        ]
    if duration and not start:
        return [
            _problem(
                "meeting_start",
                MISSING_PAIR,
                _("Give the start too: WeCom changes the start and the duration together."),
            )
        ]
    return []


def check_description(value: object) -> list[Problem]:
    if not isinstance(value, str):
        return [_wrong_type("description", "text")]
    if len(value) > DESCRIPTION_MAX:
        return [
            _problem(
                "description",
                TOO_LONG,
                _("The description can have at most %(max)d characters; it has %(length)d."),
                max=DESCRIPTION_MAX,
                length=len(value),
            )
        ]
    return []


def location_width(text: str) -> int:
    """The places a location takes: two for a Chinese (or other wide) character, one else."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def check_location(value: object) -> list[Problem]:
    if not isinstance(value, str):
        return [_wrong_type("location", "text")]
    width = location_width(value)
    if width > LOCATION_MAX_WIDTH:
        return [
            _problem(
                "location",
                TOO_LONG,
                _(
                    "The location can be at most %(chinese)d Chinese characters or %(max)d "
                    "letters long, a Chinese character counting as two letters; it counts "
                    "%(width)d."
                ),
                chinese=LOCATION_MAX_WIDTH // 2,
                max=LOCATION_MAX_WIDTH,
                width=width,
            )
        ]
    return []


def check_cal_id(value: object) -> list[Problem]:
    if not isinstance(value, str):
        return [_wrong_type("cal_id", "text")]
    size = len(value.encode("utf-8", errors="surrogatepass"))
    if size > CAL_ID_MAX_BYTES:
        return [
            _problem(
                "cal_id",
                TOO_LONG,
                _("The calendar ID can be at most %(max)d bytes long; it has %(size)d."),
                max=CAL_ID_MAX_BYTES,
                size=size,
            )
        ]
    return []


# --- userids ---------------------------------------------------------------------------


def is_userid(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and USERID_PATTERN.fullmatch(value) is not None


def dedupe_userids(userids: Iterable[T]) -> tuple[list[T], list[T]]:
    """The userids with later repeats (in any letter case) left out, and the ones left out."""
    kept: list[T] = []
    dropped: list[T] = []
    seen: set[str] = set()
    for userid in userids:
        if isinstance(userid, str):
            key = userid.lower()
            if key in seen:
                dropped.append(userid)
                continue
            seen.add(key)
        kept.append(userid)
    return kept, dropped


def _userids(value: object, field: str) -> tuple[list[str], list[Problem]]:
    """The well-formed userids of a `{"userid": [...]}` object, and what is wrong with it."""
    if not isinstance(value, dict):
        return [], [_wrong_type(field, "userids")]
    listed = value.get("userid")
    if listed is None:
        return [], []
    if not isinstance(listed, list):
        return [], [_wrong_type(field, "userids")]
    good, problems = [], []
    for userid in dedupe_userids(listed)[0]:
        if is_userid(userid):
            good.append(userid)
        else:
            problems.append(
                _problem(
                    field,
                    INVALID_USERID,
                    _(
                        "“%(userid)s” is not a valid userid: a userid has 1 to %(max)d "
                        "letters, digits, underscores, hyphens, at signs or dots."
                    ),
                    userid=_show(userid),
                    max=USERID_MAX,
                )
            )
    return good, problems


def check_userids(value: object, field: str) -> list[Problem]:
    """The shape of a `{"userid": [...]}` object and the format of each userid in it."""
    return _userids(value, field)[1]


def invited_userids(invitees: object, admin_userid: str | None = None) -> set[str] | None:
    """The lower-cased userids a host or a ringing member must be among, or None when the
    body does not say who is invited (then it cannot be checked here). The meeting's
    administrator counts as invited, because the app always adds them."""
    if invitees is None or not isinstance(invitees, dict):
        return None
    listed = invitees.get("userid")
    if listed is not None and not isinstance(listed, list):
        return None
    invited = {userid.lower() for userid in (listed or ()) if is_userid(userid)}
    if is_userid(admin_userid):
        invited.add(admin_userid.lower())
    return invited


def check_invitees(value: object, *, cap: int, admin_userid: str | None = None) -> list[Problem]:
    userids, problems = _userids(value, "invitees")
    everyone = {userid.lower() for userid in userids}
    if is_userid(admin_userid):
        everyone.add(admin_userid.lower())
    # The administrator is counted because the app adds them to the list it sends.
    if len(everyone) > cap:
        problems.append(
            _problem(
                "invitees",
                TOO_MANY,
                _(
                    "At most %(max)d people can be invited, the meeting's administrator "
                    "included; there are %(count)d."
                ),
                max=cap,
                count=len(everyone),
            )
        )
    return problems


def _not_invited(
    field: str, userids: list[str], invited: set[str] | None, template: StrOrPromise
) -> list[Problem]:
    if invited is None:
        return []
    return [
        _problem(field, NOT_INVITED, template, userid=_show(userid))
        for userid in userids
        if userid.lower() not in invited
    ]


def check_hosts(value: object, invited: set[str] | None = None) -> list[Problem]:
    field = "settings.hosts"
    userids, problems = _userids(value, field)
    if len(userids) > HOSTS_MAX:
        problems.append(
            _problem(
                field,
                TOO_MANY,
                _("A meeting can have at most %(max)d hosts; there are %(count)d."),
                max=HOSTS_MAX,
                count=len(userids),
            )
        )
    problems += _not_invited(
        field, userids, invited, _("%(userid)s is a host but is not invited: invite them too.")
    )
    return problems


def check_ring_users(value: object, invited: set[str] | None = None) -> list[Problem]:
    field = "settings.ring_users"
    userids, problems = _userids(value, field)
    problems += _not_invited(
        field,
        userids,
        invited,
        _("%(userid)s is chosen to ring but is not invited: invite them too."),
    )
    return problems


# --- settings --------------------------------------------------------------------------


def check_flag(value: object, field: str) -> list[Problem]:
    return [] if isinstance(value, bool) else [_wrong_type(field, "flag")]


def check_password(value: object) -> list[Problem]:
    if not isinstance(value, str):
        return [_wrong_type("settings.password", "text")]
    if value and PASSWORD_PATTERN.fullmatch(value) is None:
        low, high = PASSWORD_DIGITS
        return [
            _problem(
                "settings.password",
                INVALID_FORMAT,
                _("The password must be %(min)d to %(max)d digits."),
                min=low,
                max=high,
            )
        ]
    return []


def check_host_key(value: object) -> list[Problem]:
    """Checked only while the host key is on; empty then means WeCom picks one."""
    if not isinstance(value, str):
        return [_wrong_type("settings.host_key", "text")]
    if value and HOST_KEY_PATTERN.fullmatch(value) is None:
        return [
            _problem(
                "settings.host_key",
                INVALID_FORMAT,
                _("The host key must be %(digits)d digits, or empty to let WeCom choose one."),
                digits=HOST_KEY_DIGITS,
            )
        ]
    return []


def check_declared_choice(path: str, value: object) -> list[Problem]:
    """A value of a field declared with choices (meetings.fields): one of them, of their type."""
    declared = fields.FIELDS[path]
    kind = "text" if isinstance(declared.values[0], str) else "number"
    if kind == "text" and not isinstance(value, str):
        return [_wrong_type(path, "text")]
    if kind == "number" and not _is_int(value):
        return [_wrong_type(path, "number")]
    if value not in declared.values:
        return [_problem(path, INVALID_CHOICE, declared.invalid, value=_show(value))]
    return []


def check_mute_all(settings: Mapping[str, object]) -> list[Problem]:
    """98154: mute_all alone does nothing; with allow_unmute_self false it must be true."""
    if settings.get("allow_unmute_self") is not False:
        return []
    mute_all = settings.get("mute_all")
    if mute_all is True or (mute_all is not None and not isinstance(mute_all, bool)):
        # True is right, and a value of the wrong type is reported by its own check.
        return []
    return [
        _problem(
            "settings.mute_all",
            MUTE_ALL_REQUIRED,
            _("When participants may not unmute themselves, everyone must be muted."),
        )
    ]


# The value a field takes when a change reveals it, where 98154 leaves it one: mute_all
# applies only once self-unmuting is off, and then it must be on (check_mute_all), so it is
# revealed on rather than as an error waiting to happen.
REVEALED = {"settings.mute_all": True}


def applicable_settings(settings: object) -> set[str]:
    """The names of the settings that apply, given the values that control them (each
    field's `when` in meetings.fields)."""
    return fields.applicable("settings", settings)


_SETTINGS_CHECKS = {
    "password": check_password,
    "host_key": check_host_key,
}


def check_settings(settings: object, *, invited: set[str] | None = None) -> list[Problem]:
    """Every rule of the settings object. `invited` is what `invited_userids` returns."""
    if not isinstance(settings, dict):
        return [_wrong_type("settings", "object")]
    applicable = applicable_settings(settings)
    problems = []
    for name in SETTINGS_FIELDS:
        if name not in applicable or not _given(settings, name):
            continue
        value = settings[name]
        if name in SETTINGS_FLAGS:
            problems += check_flag(value, f"settings.{name}")
        elif fields.FIELDS[f"settings.{name}"].choices:
            problems += check_declared_choice(f"settings.{name}", value)
        elif name == "hosts":
            problems += check_hosts(value, invited)
        elif name == "ring_users":
            problems += check_ring_users(value, invited)
        else:
            problems += _SETTINGS_CHECKS[name](value)
    problems += check_mute_all(settings)
    return problems


# --- reminders -------------------------------------------------------------------------


def check_repeat_type(value: object, *, custom: bool = False) -> list[Problem]:
    field = "reminders.repeat_type"
    problems = check_declared_choice(field, value)
    if not problems and custom and value not in CUSTOM_REPEAT_TYPES:
        problems.append(
            _problem(field, NOT_CUSTOM, _("A custom repeat can only be daily, weekly or monthly."))
        )
    return problems


def check_repeat_interval(value: object) -> list[Problem]:
    """Required for a custom repeat, so None is a problem here, unlike elsewhere."""
    field = "reminders.repeat_interval"
    if value is None:
        return [_problem(field, REQUIRED, _("A custom repeat needs an interval."))]
    return _int_in_range(
        value,
        field,
        1,
        REPEAT_INTERVAL_MAX,
        _("The interval must be from %(min)d to %(max)d."),
    )


def _check_days(value: object, field: str, highest: int, template: StrOrPromise) -> list[Problem]:
    if not isinstance(value, list):
        return [_wrong_type(field, "list")]
    return [
        _problem(field, OUT_OF_RANGE, template, value=_show(day), min=1, max=highest)
        for day in value
        if not (_is_int(day) and 1 <= day <= highest)
    ]


def check_repeat_day_of_week(value: object) -> list[Problem]:
    return _check_days(
        value,
        "reminders.repeat_day_of_week",
        max(fields.FIELDS["reminders.repeat_day_of_week"].values),
        _("%(value)s is not a weekday: use %(min)d (Monday) to %(max)d (Sunday)."),
    )


def check_repeat_day_of_month(value: object) -> list[Problem]:
    return _check_days(
        value,
        "reminders.repeat_day_of_month",
        max(fields.FIELDS["reminders.repeat_day_of_month"].values),
        _("%(value)s is not a day of the month: use %(min)d to %(max)d."),
    )


def check_repeat_until(
    value: object, *, meeting_start: object = None, now: int | None = None
) -> list[Problem]:
    """The end date must come after the start: the new start when the body changes it,
    otherwise now. 0 is WeCom's "not set" and means "as far as the cap allows"."""
    field = "reminders.repeat_until"
    if not _is_int(value):
        return [_wrong_type(field, "number")]
    if value == 0:
        return []
    if value > UINT32_MAX:
        return [_problem(field, OUT_OF_RANGE, _("The end date is too far in the future."))]
    if _is_int(meeting_start):
        if value <= meeting_start:
            return [_problem(field, BEFORE_START, _("The repeat must end after the start."))]
    elif now is not None and value <= now:
        return [_problem(field, IN_PAST, _("The repeat must end in the future."))]
    return []


def check_repeat_until_count(value: object, *, repeat_type: object = None) -> list[Problem]:
    """Required when the repeat ends after a number of meetings."""
    field = "reminders.repeat_until_count"
    if value is None:
        return [_problem(field, REQUIRED, _("Give the number of meetings."))]
    return _int_in_range(
        value,
        field,
        1,
        occurrence_cap(repeat_type),
        _("This repeat can have from %(min)d to %(max)d meetings."),
    )


def check_remind_before(value: object) -> list[Problem]:
    field = "reminders.remind_before"
    if not isinstance(value, list):
        return [_wrong_type(field, "list")]
    return [
        _problem(
            field,
            INVALID_CHOICE,
            _(
                "%(value)s is not a reminder WeCom offers: use 0 (at the start), 300, 900, "
                "3600 or 86400 seconds before."
            ),
            value=_show(seconds),
        )
        for seconds in value
        if not (_is_int(seconds) and seconds in REMIND_BEFORE_CHOICES)
    ]


def applicable_reminders(reminders: object) -> set[str]:
    """The names of the reminders fields that apply, given the values that control them
    (each field's `when` in meetings.fields); a control left out takes WeCom's default."""
    return fields.applicable("reminders", reminders)


def check_reminders(
    reminders: object, *, meeting_start: object = None, now: int | None = None
) -> list[Problem]:
    """Every rule of the reminders object. `meeting_start` is the body's new start, if any."""
    if not isinstance(reminders, dict):
        return [_wrong_type("reminders", "object")]
    applicable = applicable_reminders(reminders)

    def given(name: str) -> bool:
        return name in applicable and _given(reminders, name)

    problems = []
    if given("is_repeat"):
        problems += check_declared_choice("reminders.is_repeat", reminders["is_repeat"])
    if given("repeat_type"):
        custom = _equals(reminders.get("is_custom_repeat"), 1)
        problems += check_repeat_type(reminders["repeat_type"], custom=custom)
    if given("is_custom_repeat"):
        problems += check_declared_choice(
            "reminders.is_custom_repeat", reminders["is_custom_repeat"]
        )
    if "repeat_interval" in applicable:
        problems += check_repeat_interval(reminders.get("repeat_interval"))
    if given("repeat_day_of_week"):
        problems += check_repeat_day_of_week(reminders["repeat_day_of_week"])
    if given("repeat_day_of_month"):
        problems += check_repeat_day_of_month(reminders["repeat_day_of_month"])
    if given("repeat_until_type"):
        problems += check_declared_choice(
            "reminders.repeat_until_type", reminders["repeat_until_type"]
        )
    if given("repeat_until"):
        problems += check_repeat_until(
            reminders["repeat_until"], meeting_start=meeting_start, now=now
        )
    if "repeat_until_count" in applicable:
        problems += check_repeat_until_count(
            reminders.get("repeat_until_count"),
            repeat_type=_value(reminders, "repeat_type", REPEAT_DAILY),
        )
    if given("remind_before"):
        problems += check_remind_before(reminders["remind_before"])
    return problems


def complete_reminders(
    reminders: object, meeting_start: object, tz: tzinfo | None
) -> tuple[Any, dict[str, int]]:
    """Add the start's own weekday (custom weekly) or day (custom monthly) to its list, as
    WeCom would on its side, and sort the list.

    Returns the new reminders and `added`, {field: the day added}, empty when nothing was,
    so that the page can say what it did. `tz` is the zone whose calendar decides the day.
    Values the rules would refuse are left for the rules to report.
    """
    if not isinstance(reminders, dict) or not _is_int(meeting_start):
        return reminders, {}
    try:
        local = datetime.fromtimestamp(meeting_start, tz)
    except (OverflowError, OSError, ValueError):
        return reminders, {}
    applicable = applicable_reminders(reminders)
    completed, added = dict(reminders), {}
    for name, own_day in (
        ("repeat_day_of_week", local.isoweekday()),
        ("repeat_day_of_month", local.day),
    ):
        if name not in applicable:
            continue
        days = reminders.get(name)
        days = [] if days is None else days
        if not isinstance(days, list) or not all(_is_int(day) for day in days):
            continue
        if own_day not in days:
            added[name] = own_day
        completed[name] = sorted({*days, own_day})
    return completed, added


# --- the whole body --------------------------------------------------------------------


def configured_invitee_cap() -> int:
    """WECOM_INVITEE_CAP from the Django settings, or 100 (an ordinary corp's cap): the most
    invitees meeting/create and meeting/update take in their body."""
    try:
        from django.conf import settings as django_settings

        cap = getattr(django_settings, "WECOM_INVITEE_CAP", DEFAULT_INVITEE_CAP)
    except Exception:
        # Settings that cannot be read (not configured, as in a bare script) leave the
        # documented default for an ordinary corp.
        return DEFAULT_INVITEE_CAP
    return cap if _is_int(cap) and cap >= 1 else DEFAULT_INVITEE_CAP


def check_meeting(
    body: object, *, now: int, invitee_cap: int | None = None, admin_userid: str | None = None
) -> list[Problem]:
    """Every rule of 98154 over an update body; an empty list when WeCom should accept it.

    `now` is the current unix time; `invitee_cap` defaults to what set_invitees takes;
    `admin_userid` is the meeting's administrator, who counts as invited.
    """
    if not isinstance(body, dict):
        return [
            _problem(NON_FIELD, INVALID_TYPE, _("The meeting must be given as a group of fields."))
        ]
    problems = []
    if _given(body, "title"):
        problems += check_title(body["title"])
    if _given(body, "meeting_start"):
        problems += check_meeting_start(body["meeting_start"], now)
    if _given(body, "meeting_duration"):
        problems += check_meeting_duration(body["meeting_duration"])
    problems += check_time_pair(body)
    if _given(body, "description"):
        problems += check_description(body["description"])
    if _given(body, "location"):
        problems += check_location(body["location"])
    if _given(body, "cal_id"):
        problems += check_cal_id(body["cal_id"])
    if _given(body, "invitees"):
        cap = invitee_cap if invitee_cap is not None else INVITEES_MAX
        problems += check_invitees(body["invitees"], cap=cap, admin_userid=admin_userid)
    if _given(body, "settings"):
        invited = invited_userids(body.get("invitees"), admin_userid)
        problems += check_settings(body["settings"], invited=invited)
    if _given(body, "reminders"):
        problems += check_reminders(
            body["reminders"], meeting_start=body.get("meeting_start"), now=now
        )
    return problems


def _pruned_userids(value: object) -> object:
    if isinstance(value, dict) and isinstance(value.get("userid"), list):
        return {**value, "userid": dedupe_userids(value["userid"])[0]}
    return value


def _pruned(mapping: Mapping[str, object], applicable: set[str]) -> dict[str, object]:
    kept = {}
    for name, value in mapping.items():
        if name not in applicable or value is None:
            continue
        if name in ("hosts", "ring_users"):
            value = _pruned_userids(value)
        elif isinstance(value, list):
            value = list(value)
        kept[name] = value
    return kept


def prune(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of the body without what must not travel: the settings and reminders fields
    that do not apply (or that update does not know), values that are None, and repeated
    userids. Anything else, such as meetingid, is kept as it is."""
    if not isinstance(body, dict):
        return body
    pruned = {}
    for key, value in body.items():
        if value is None:
            continue
        if key == "settings" and isinstance(value, dict):
            value = _pruned(value, applicable_settings(value))
        elif key == "reminders" and isinstance(value, dict):
            value = _pruned(value, applicable_reminders(value))
        elif key == "invitees":
            value = _pruned_userids(value)
        pruned[key] = value
    return pruned
