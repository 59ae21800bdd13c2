"""A meeting's values in the administrator's words: labels, choices by name, times in
TIME_ZONE, weekdays by name, secrets as "set" or "not set"; and the audit record's values the
same way.

The paths are those of the update body ("title", "settings.password", "reminders.repeat_type"),
so the detail page, the edit form, the changes panel and the audit record all say the same
thing the same way. The template tags of meetings.templatetags.meeting_words wrap these.

People: administrators think in names, WeCom in userids. Every page that shows a person shows
the directory's name with the userid quietly beside it, and a userid the directory has no name
for as it is, marked. The names of a whole page are read in one query (`person_labels`), so a
page's query count does not grow with its rows.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from meetings import audit, payloads, problems
from meetings.models import (
    AutoRecordType,
    EnterMute,
    Meeting,
    MeetingSettings,
    Person,
    Reminders,
    RemindScope,
    RepeatType,
    RepeatUntilType,
    Status,
    WatermarkType,
)
from wecom.errors import WeComError

NOTHING = "—"
MASK = "••••"
SECRETS = frozenset(("settings.password", "settings.host_key"))
USERID_LISTS = frozenset(("invitees", "settings.hosts", "settings.ring_users"))
REPEAT_FLAGS = frozenset(f"reminders.{flag}" for flag in payloads.REMINDERS_FLAGS)
CHOICES = {
    "settings.enable_enter_mute": EnterMute,
    "settings.watermark_type": WatermarkType,
    "settings.auto_record_type": AutoRecordType,
    "settings.remind_scope": RemindScope,
    "reminders.repeat_type": RepeatType,
    "reminders.repeat_until_type": RepeatUntilType,
}
REMIND_BEFORE = {
    0: gettext_lazy("At the start"),
    300: gettext_lazy("5 minutes before"),
    900: gettext_lazy("15 minutes before"),
    3600: gettext_lazy("1 hour before"),
    86400: gettext_lazy("1 day before"),
}
# Labels of the update body's own names that no model column carries as such.
LABELS = {
    "meeting_start": gettext_lazy("Start"),
    "meeting_duration": gettext_lazy("Duration"),
    "cal_id": gettext_lazy("Calendar"),
    "invitees": gettext_lazy("Invitees"),
    "settings.hosts": gettext_lazy("Hosts"),
    "settings.ring_users": gettext_lazy("Ring these people"),
}
# Why WeCom refuses changes, by status: meeting/update only takes scheduled meetings.
def label(path):
    """The name of a field of the update body, as a heading."""
    if path in LABELS:
        return capfirst(LABELS[path])
    group, _dot, name = path.rpartition(".")
    model = {"settings": MeetingSettings, "reminders": Reminders}.get(group, Meeting)
    return capfirst(model._meta.get_field(name).verbose_name)


# Decided here but not yet done in WeCom, where the meeting is still scheduled.
def local_moment(unix):
    return timezone.localtime(datetime.fromtimestamp(int(unix), UTC))


def weekday_name(isoweekday):
    return str(WEEKDAYS[isoweekday - 1])


def yes_no(value):
    return _("Yes") if value else _("No")


def duration_words(seconds):
    """A duration as hours and minutes: "1 h 30 min"."""
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}


def local_datetime(moment):
    """An aware datetime, or unix seconds, as a local date and time with its weekday."""
    if moment in (None, ""):
        return NOTHING
    if isinstance(moment, int):
        moment = local_moment(moment)
    return date_format(timezone.localtime(moment), "Y-m-d H:i (l)")


def local_span(start, end):
    """From start to end (datetimes or unix seconds) in local time, the end's date said
    only when it is another day: "2025-06-02 10:00 (Monday) – 11:00"."""
    start, end = (local_moment(m) if isinstance(m, int) else timezone.localtime(m)
                  for m in (start, end))
    until = date_format(end, "H:i") if end.date() == start.date() else local_datetime(end)
    return _("%(start)s – %(end)s") % {"start": local_datetime(start), "end": until}


def describe(path, value, calendars=None):
    """One value of the update body in words. Secrets say only whether they are set."""
    if path in SECRETS:
        return _("set") if value else _("not set")
    if path in REPEAT_FLAGS or isinstance(value, bool):
        return yes_no(value)
    if value is None or value == "" or value == []:
        return NOTHING
    if path in USERID_LISTS:
        return listing(value)
    if path in CHOICES:
        try:
            return str(CHOICES[path](value).label)
        except ValueError:
            return str(value)
    if path == "meeting_start":
        return local_datetime(value)
    if path == "meeting_duration":
        return duration_words(value)
    if path == "reminders.repeat_until":
        return date_format(local_moment(value), "Y-m-d") if value else _("no end date")
    if path == "reminders.repeat_day_of_week":
        return listing(weekday_name(day) for day in value if 1 <= day <= 7)
    if path == "reminders.repeat_day_of_month":
        return listing(value)
    if path == "reminders.remind_before":
        return listing(REMIND_BEFORE.get(seconds, seconds) for seconds in value)
    if path == "cal_id" and calendars:
        return calendars.get(value, value)
    return str(value)


def listing(items):
    """Items joined as the language joins a list: "a, b" in English, "a、b" in Chinese."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


def repeat_summary(reminders):
    """How a meeting repeats, in one sentence: "Every 2 weeks on Monday, Wednesday, until
    2025-06-30"."""
    if reminders.get("is_repeat") != 1:
        return _("Does not repeat")
    repeat_type = reminders.get("repeat_type", RepeatType.DAILY)
    if reminders.get("is_custom_repeat") == 1:
        every = reminders.get("repeat_interval") or 1
        # An interval of one reads as its own phrase ("every week", 每周), not as a count
        # ("every 1 week", 每1周): two messages rather than one plural form.
        values = {"count": every}
        if repeat_type == RepeatType.WEEKLY:
            values["days"] = describe(
                "reminders.repeat_day_of_week", reminders.get("repeat_day_of_week")
            )
            how = (
                _("Every week on %(days)s")
                if every == 1
                else _("Every %(count)d weeks on %(days)s")
            ) % values
        elif repeat_type == RepeatType.MONTHLY:
            values["days"] = describe(
                "reminders.repeat_day_of_month", reminders.get("repeat_day_of_month")
            )
            how = (
                _("Every month, on these days: %(days)s")
                if every == 1
                else _("Every %(count)d months, on these days: %(days)s")
            ) % values
        else:
            how = (_("Every day") if every == 1 else _("Every %(count)d days")) % values
    else:
        how = describe("reminders.repeat_type", repeat_type)
    if reminders.get("repeat_until_type") == RepeatUntilType.BY_COUNT:
        count = reminders.get("repeat_until_count") or 0
        end = ngettext("%(count)d meeting in all", "%(count)d meetings in all", count) % {
            "count": count
        }
    elif reminders.get("repeat_until"):
        end = _("until %(date)s") % {
            "date": describe("reminders.repeat_until", reminders["repeat_until"])
        }
    else:
        end = _("with no end date")
    return _("%(repeat)s, %(end)s") % {"repeat": how, "end": end}


SECTION_LEGENDS = {
    "basics": gettext_lazy("Basics"),
    "people": gettext_lazy("People"),
    "settings": gettext_lazy("Settings"),
    "recurrence": gettext_lazy("Recurrence and reminders"),
}
DETAIL_PATHS = {
    "basics": ("title", "meeting_start", "meeting_duration", "description", "location", "cal_id"),
    "people": ("invitees", "settings.hosts", "settings.remind_scope", "settings.ring_users"),
    "settings": tuple(
        f"settings.{name}" for name in payloads.SETTINGS_SCALARS if name != "remind_scope"
    ),
}
_ABSENT = object()


def value_at(body, path):
    """The value at a body path, a userid object read as its list; _ABSENT when the body
    leaves it out (a field that does not apply)."""
    group, _dot, name = path.rpartition(".")
    holder = body.get(group) if group else body
    if not isinstance(holder, dict) or name not in holder:
        return _ABSENT
    value = holder[name]
    return value.get("userid", []) if isinstance(value, dict) else value


def describe_sections(body, calendars=None, people=None):
    """The meeting's fields that apply, in words, as (legend, [(label, text)]) by section.
    `people`, when given, says a list of userids (as names, say) in place of `describe`."""
    sections = []
    for key, paths in DETAIL_PATHS.items():
        rows = []
        for path in paths:
            value = value_at(body, path)
            if value is _ABSENT:
                continue
            if people is not None and path in USERID_LISTS:
                rows.append((label(path), people(value)))
            else:
                rows.append((label(path), describe(path, value, calendars)))
        sections.append((SECTION_LEGENDS[key], rows))
    reminders = body.get("reminders") or {}
    rows = [(label("reminders.repeat_type"), repeat_summary(reminders))]
    if "remind_before" in reminders:
        path = "reminders.remind_before"
        rows.append((label(path), describe(path, reminders["remind_before"])))
    sections.append((SECTION_LEGENDS["recurrence"], rows))
    return sections


# --- the audit record: each change as the edit page shows it, the raw value beside it --------
# (Separate from the meeting pages' helpers above: these read the record's own field names,
# which also cover accounts, calendars and the worker's settlements.)

AUDIT_LABELS = {
    "status": gettext_lazy("Status"),
    "occurrence": gettext_lazy("Occurrence"),
    "admin_userid": gettext_lazy("Organiser"),
    "group": gettext_lazy("Role group"),
    "member": gettext_lazy("Member"),
    "permission": gettext_lazy("Permission"),
    "name": gettext_lazy("Name"),
    "password": gettext_lazy("Password"),
    "is_active": gettext_lazy("Active"),
    "is_staff": gettext_lazy("Staff (may enter the admin)"),
    "is_superuser": gettext_lazy("Superuser"),
    "summary": gettext_lazy("Calendar title"),
    "color": gettext_lazy("Calendar colour"),
    "admins": gettext_lazy("Calendar administrators"),
    "shares": gettext_lazy("Shared with"),
    # A person's account (meetings.accounts): where the app's WeCom messages reach them.
    "wecom_userid": gettext_lazy("WeCom userid"),
}
AUDIT_USERIDS = frozenset((*USERID_LISTS, "admin_userid", "admins", "shares"))
PERMISSION_VERBS = {
    "view": gettext_lazy("view %(things)s"),
    "add": gettext_lazy("add %(things)s"),
    "change": gettext_lazy("change %(things)s"),
    "delete": gettext_lazy("delete %(things)s"),
}
# Details the record writes in its own (English) words, with their translation; a detail not
# listed (WeCom's errmsg, an old event) is shown as written.
# Translated with pgettext("audit detail", …) when shown.
DETAILS = (
    "new",
    "refreshed from WeCom",
    "changed in WeCom, taken in by the sync",
    "whole meeting",
    "occurrence %(sub_meetingid)s",
    audit.USER,
    audit.USER_CREATED,
    audit.USER_DELETED,
    audit.GROUP,
    audit.GROUP_CREATED,
    audit.GROUP_DELETED,
    "calendar %(cal_id)s (%(summary)s): added",
    "calendar %(cal_id)s (%(summary)s): updated",
    "calendar %(cal_id)s (%(summary)s): deleted",
    "calendar %(cal_id)s (%(summary)s): refreshed from WeCom",
    "calendar %(cal_id)s (%(summary)s): not saved: %(error)s",
    "saved by someone else since version %(loaded)s was loaded (now %(now)s)",
    # A retry's detail: how the sync had stopped.
    "failed: %(error)s",
    "conflict: %(error)s",
    "failed",
    "conflict",
)


def _detail_pattern(template):
    parts = re.split(r"%\((\w+)\)s", template)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*)" for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.DOTALL)


# The longest wording first: "user %(user)s created" before "user %(user)s".
_DETAIL_PATTERNS = [
    (_detail_pattern(template), template)
    for template in sorted(DETAILS, key=lambda t: -len(re.sub(r"%\(\w+\)s", "", t)))
]


def detail_words(detail):
    """An event's detail in the reader's language."""
    for pattern, template in _DETAIL_PATTERNS:
        found = pattern.match(detail or "")
        if found:
            return pgettext("audit detail", template) % found.groupdict()
    return detail or NOTHING


def zoned(moment):
    """A moment (aware datetime or unix seconds) in local time with its weekday and the zone's
    name: "2026-12-01 10:28:05 (Tuesday) Asia/Shanghai"."""
    if moment in (None, ""):
        return NOTHING
    if isinstance(moment, int | float | str):
        moment = local_moment(int(moment))
    local = timezone.localtime(moment)
    return f"{date_format(local, 'Y-m-d H:i:s (l)')} {timezone.get_current_timezone_name()}"


def audit_label(field):
    """The name of a field an event changed."""
    if field in AUDIT_LABELS:
        return capfirst(AUDIT_LABELS[field])
    try:
        return str(label(field))
    except (LookupError, ValueError, AttributeError, FieldDoesNotExist):
        return field


class NameBook:
    """People's names from the directory, "张三 (zhangsan)", looked up once per userid."""

    def __init__(self):
        self._labels = {}

    def load(self, userids):
        wanted = [u for u in userids if isinstance(u, str) and u and u not in self._labels]
        self._labels.update(person_labels(wanted))

    def __call__(self, userid):
        self.load([userid])
        return str(self._labels.get(userid) or PersonLabel(userid))


def _userids(value):
    items = value if isinstance(value, list) else [value]
    return [item.get("userid", "") if isinstance(item, dict) else str(item) for item in items]


def permission_words(codename):
    """"meetings.view_auditevent" as "view audit events"."""
    from django.apps import apps

    app_label, _dot, code = str(codename).partition(".")
    verb, _sep, model_name = code.partition("_")
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        model = None
    if model is not None and verb in PERMISSION_VERBS:
        return str(PERMISSION_VERBS[verb]) % {"things": model._meta.verbose_name_plural}
    if codename == "meetings.edit_meeting":
        return _("edit meetings and settle their sync")
    return str(codename)


def audit_value(field, value, names=None, secret=False):
    """One old or new value of an event's change, as the edit page would show it."""
    names = names or NameBook()
    if secret:
        return _("set") if value else _("not set")
    if value is None or value == "" or value == []:
        return NOTHING
    if field in AUDIT_USERIDS:
        return listing(names(userid) for userid in _userids(value))
    if field == "status":
        try:
            return str(Status(int(value)).label)
        except (TypeError, ValueError):
            return str(value)
    if field == "occurrence":
        if str(value).isdigit():
            return zoned(int(value))
        return pgettext("occurrence", "cancelled") if value == "cancelled" else str(value)
    if field == "meeting_start":
        return zoned(value)
    if field == "permission":
        return permission_words(value)
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    try:
        return str(describe(field, value))
    except (TypeError, ValueError, AttributeError):
        return str(value)


def raw_value(value):
    """A value as WeCom (or the record) holds it."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, list | dict | bool):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def change_lines(changes, names=None):
    """The rows of an event's changes as (label, old, new, raw old, raw new, field)."""
    names = names or NameBook()
    names.load(
        userid
        for row in changes or [] if row.get("field") in AUDIT_USERIDS
        for side in ("old", "new") if row.get(side)
        for userid in _userids(row[side])
    )
    lines = []
    for row in changes or []:
        field, secret = row.get("field", ""), bool(row.get("secret"))
        old = audit_value(field, row.get("old"), names, secret)
        new = _("changed") if secret else audit_value(field, row.get("new"), names)
        lines.append((audit_label(field), old, new,
                      raw_value(row.get("old")), raw_value(row.get("new")), field))
    return lines


def problem_words(stored):
    """A stored sync problem (meetings.problems) as a sentence in the active language; ""
    for none."""
    if not stored:
        return ""
    code, params = stored.get("code"), dict(stored.get("params") or {})
    if code == "wecom":
        # WeCom's refusal (or silence) means what its errcode means.
        return str(WeComError("", stored.get("errcode")).message)
    template = problems.MESSAGES.get(code)
    if template is None:
        return ""
    for name in problems.MOMENTS:
        if name in params:
            params[name] = local_datetime(int(params[name]))
    if code == "not_scheduled":
        params["status"] = Status.label_of(params.get("status"))
    if code == "not_held":
        params["fields"] = listing(str(label(leaf)) for leaf in params.get("fields") or [])
    return str(template).format(**params)


# --- people -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonLabel:
    """A userid with the name the directory gives it ("" when it gives none)."""

    userid: str
    name: str = ""

    @property
    def known(self):
        return bool(self.name)

    def __str__(self):
        # Plain text, for messages: "李四 (lisi)", or the bare userid.
        if self.name:
            return _("%(name)s (%(userid)s)") % {"name": self.name, "userid": self.userid}
        return self.userid

    def __html__(self):
        return person_html(self)


def person_labels(userids):
    """{userid: PersonLabel} for every userid given, in one query. WeCom's userids ignore
    letter case, so a userid typed in another case still finds its name."""
    userids = [u for u in dict.fromkeys(userids) if isinstance(u, str) and u]
    if not userids:
        return {}
    names = {}
    for userid, name in Person.objects.filter(userid__in=_case_variants(userids)).values_list(
        "userid", "name"
    ):
        if name:
            names[userid.lower()] = name
    return {u: PersonLabel(u, names.get(u.lower(), "")) for u in userids}


def _case_variants(userids):
    # An index-friendly IN (…) rather than a case-insensitive scan of the directory.
    return {v for u in userids for v in (u, u.lower())}


def label_people(userids, labels):
    """The PersonLabels of a list of userids, from `person_labels`' answer."""
    return [labels.get(u) or PersonLabel(u) for u in userids]


def person_html(label):
    """<name> (userid), or the userid marked as not in the directory."""
    if label.name:
        return format_html(
            '<span class="person"><span class="person-name">{}</span> '
            '<span class="person-userid">({})</span></span>',
            label.name,
            label.userid,
        )
    return format_html(
        '<span class="person unknown" title="{}"><span class="person-userid">{}</span>'
        '<span class="flag not-in-directory" aria-hidden="true">?</span></span>',
        _("not in the directory"),
        label.userid,
    )


def people_html(labels):
    """Several people, joined as the language joins a list; "—" for nobody."""
    labels = list(labels)
    if not labels:
        return "—"
    separator = pgettext("list separator", ", ")
    return format_html_join(separator, "{}", ((person_html(label),) for label in labels))
