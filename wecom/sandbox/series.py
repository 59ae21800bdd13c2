"""A stored meeting's occurrences, in unix seconds.

The expansion itself is the project's (wecom.recurrence), so that the sandbox and the app can
never disagree on which days a series meets. WeCom reads weekdays and days of the month on
China's wall clock, whatever zone the caller lives in.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from wecom import recurrence

WECOM_ZONE = ZoneInfo("Asia/Shanghai")


def local(unix):
    return datetime.fromtimestamp(unix, WECOM_ZONE)


def is_recurring(meeting):
    return (meeting.get("reminders") or {}).get("is_repeat") == 1


def starts(meeting):
    """Every occurrence's start, first to last; a one-off meeting has one."""
    reminders = meeting.get("reminders") if is_recurring(meeting) else None
    series = recurrence.occurrences(
        local(meeting["meeting_start"]), meeting["meeting_duration"], reminders, tz=WECOM_ZONE
    )
    return [int(moment.timestamp()) for moment in series.starts]


def cap(repeat_type):
    return recurrence.occurrence_cap(repeat_type)


def last_allowed_start(start, duration, reminders):
    """Where a by-date series ends when its end is absent or lies beyond WeCom's cap."""
    open_ended = {
        key: value
        for key, value in reminders.items()
        if key not in ("repeat_until", "repeat_until_type")
    }
    series = recurrence.occurrences(local(start), duration, open_ended, tz=WECOM_ZONE)
    return int(series.last.timestamp())
