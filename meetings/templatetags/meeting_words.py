"""A meeting's values in the administrator's words: labels, choices by name, times in
TIME_ZONE, weekdays by name, secrets as "set" or "not set".

The paths are those of the update body ("title", "settings.password", "reminders.repeat_type"),
so the detail page, the edit form and the changes panel all say the same thing the same way.
"""

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from meetings import payloads
from meetings.models import (
    AutoRecordType,
    EnterMute,
    Meeting,
    MeetingSettings,
    Reminders,
    RemindScope,
    RepeatType,
    RepeatUntilType,
    Status,
    WatermarkType,
)

register = template.Library()

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
READONLY_REASONS = {
    Status.IN_PROGRESS: gettext_lazy(
        "This meeting has started, so WeCom no longer accepts changes to it."
    ),
    Status.ENDED: gettext_lazy("This meeting has ended, so WeCom no longer accepts changes to it."),
    Status.CANCELLED: gettext_lazy(
        "This meeting was cancelled, so WeCom no longer accepts changes to it."
    ),
    Status.EXPIRED: gettext_lazy(
        "This meeting has expired, so WeCom no longer accepts changes to it."
    ),
}


def label(path):
    """The name of a field of the update body, as a heading."""
    if path in LABELS:
        return capfirst(LABELS[path])
    group, _dot, name = path.rpartition(".")
    model = {"settings": MeetingSettings, "reminders": Reminders}.get(group, Meeting)
    return capfirst(model._meta.get_field(name).verbose_name)


# Decided here but not yet done in WeCom, where the meeting is still scheduled.
CANCELLING_REASON = gettext_lazy(
    "This meeting is being cancelled in WeCom, so it can no longer be changed."
)


def being_cancelled(meeting):
    return meeting.cancel_requested and meeting.status == Status.SCHEDULED


def readonly_reason(meeting):
    if being_cancelled(meeting):
        return CANCELLING_REASON
    return READONLY_REASONS.get(meeting.status, READONLY_REASONS[Status.IN_PROGRESS])


@register.filter
def status_words(meeting):
    """The meeting's status, saying so when a cancellation decided here is on its way."""
    if being_cancelled(meeting):
        return _("Being cancelled")
    return meeting.get_status_display()


def local_moment(unix):
    return timezone.localtime(datetime.fromtimestamp(int(unix), UTC))


def weekday_name(isoweekday):
    return str(WEEKDAYS[isoweekday - 1])


def yes_no(value):
    return _("Yes") if value else _("No")


@register.filter
def duration_words(seconds):
    """A duration as hours and minutes: "1 h 30 min"."""
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
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


@register.filter
def occurrence_status(value):
    """A status WeCom reported for an occurrence, in words (its number if it is a new one)."""
    return Status.label_of(value)
