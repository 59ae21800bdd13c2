"""WeCom's repeat settings (`reminders` of meeting/create and meeting/update) as occurrences.

The semantics are those of the update page (98154):

- repeat_type 0 daily, 1 weekly on the start's weekday, 2 monthly on the start's day of the
  month, 7 every workday. Whether WeCom's workdays follow China's public holidays and their
  make-up working days (调休) is not documented; that calendar is published year by year
  and is not modelled here, so a workday series is plain Monday to Friday.
- is_custom_repeat 1 (daily, weekly or monthly only): every `repeat_interval` days, weeks or
  months; weekly on the `repeat_day_of_week` list (1 Monday … 7 Sunday), monthly on the
  `repeat_day_of_month` list. WeCom adds the start's own weekday or day to that list when it
  is missing, and so does this module.
- repeat_until_type 0 ends with the last occurrence starting at or before `repeat_until`;
  1 ends after `repeat_until_count` occurrences. Either way a series holds at most 200
  occurrences (daily, workdays, weekly) or 50 (monthly): an end beyond that, or no end at all,
  is clamped to the cap.

Occurrences are computed in local wall-clock time, so a 09:00 meeting stays at 09:00 across
a daylight-saving change. This module reads values leniently (numeric strings, as get_info
returns for `repeat_until`, are accepted) and never raises on a reminders value the rules
would refuse: such a value is read as if it were absent, so a preview of a half-filled form
still works.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, FR, MO, MONTHLY, SA, SU, TH, TU, WE, WEEKLY, rrule

REPEAT_DAILY = 0
REPEAT_WEEKLY = 1
REPEAT_MONTHLY = 2
REPEAT_WORKDAYS = 7
REPEAT_TYPES = (REPEAT_DAILY, REPEAT_WEEKLY, REPEAT_MONTHLY, REPEAT_WORKDAYS)
CUSTOM_REPEAT_TYPES = (REPEAT_DAILY, REPEAT_WEEKLY, REPEAT_MONTHLY)

UNTIL_DATE = 0
UNTIL_COUNT = 1
UNTIL_TYPES = (UNTIL_DATE, UNTIL_COUNT)

# WeCom reads weekdays and days of the month on China's wall clock, whoever calls.
WECOM_ZONE = ZoneInfo("Asia/Shanghai")

MAX_OCCURRENCES = 200
MAX_MONTHLY_OCCURRENCES = 50

# Index 0 is Monday, as in both datetime.weekday() and WeCom's 1-based numbering minus one.
_WEEKDAYS = (MO, TU, WE, TH, FR, SA, SU)
_FREQUENCIES = {REPEAT_DAILY: DAILY, REPEAT_WEEKLY: WEEKLY, REPEAT_MONTHLY: MONTHLY}


def occurrence_cap(repeat_type):
    """The most occurrences WeCom keeps in a series of this repeat type."""
    return MAX_MONTHLY_OCCURRENCES if repeat_type == REPEAT_MONTHLY else MAX_OCCURRENCES


@dataclass(frozen=True)
class Series:
    """The occurrences of one meeting, first to last, as aware datetimes in the series' zone.

    `capped` is true when WeCom's cap, not the administrator's end, decided where the series
    stops (including a by-date series with no end date, which WeCom extends to the cap).
    """

    starts: tuple[datetime, ...]
    duration: int
    capped: bool = False
    cap: int | None = None

    def __len__(self):
        return len(self.starts)

    def __iter__(self):
        return iter(self.starts)

    @property
    def first(self):
        return self.starts[0]

    @property
    def last(self):
        return self.starts[-1]

    @property
    def ends(self):
        step = timedelta(seconds=self.duration)
        return tuple(start + step for start in self.starts)


def occurrences(start, duration, reminders, tz=None):
    """Every occurrence of a meeting that starts at `start` (an aware datetime).

    `reminders` is the WeCom object (a dict, or None for a one-off meeting); `tz` is the zone
    whose wall clock the series follows, by default the zone of `start`.
    """
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    zone = tz if tz is not None else start.tzinfo
    local_start = start.astimezone(zone).replace(microsecond=0)
    reminders = reminders if isinstance(reminders, dict) else {}

    if _uint(reminders.get("is_repeat")) != 1:
        return Series((local_start,), duration)
    repeat_type = _uint(reminders.get("repeat_type"), REPEAT_DAILY)
    if repeat_type not in REPEAT_TYPES:
        return Series((local_start,), duration)

    cap = occurrence_cap(repeat_type)
    if _uint(reminders.get("repeat_until_type"), UNTIL_DATE) == UNTIL_COUNT:
        count = _uint(reminders.get("repeat_until_count"))
        if count is None or count < 1:
            limit, capped = cap, True
        else:
            limit, capped = min(count, cap), count > cap
        starts = _series(local_start, repeat_type, reminders, limit, None)
        return Series(starts, duration, capped=capped, cap=cap)

    # WeCom's uint32 fields carry 0 for "not set", so a 0 end date means no end date.
    until = _uint(reminders.get("repeat_until")) or None
    if until is None:
        starts = _series(local_start, repeat_type, reminders, cap, None)
        return Series(starts, duration, capped=True, cap=cap)
    try:
        end = datetime.fromtimestamp(until, UTC)
    except (OverflowError, OSError, ValueError):
        end = None
    # One more than the cap is asked for, only to learn whether the cap cut the series.
    starts = _series(local_start, repeat_type, reminders, cap + 1, end)
    return Series(starts[:cap], duration, capped=len(starts) > cap, cap=cap)


def _series(local_start, repeat_type, reminders, limit, end):
    """Up to `limit` occurrence starts, none after `end` but the start itself."""
    rule = _rule(local_start, repeat_type, reminders, end)
    starts = [local_start]
    try:
        starts.extend(islice((m for m in rule if m != local_start), limit - 1))
    except (OverflowError, ValueError):
        # A huge interval runs past year 9999; the series simply ends there.
        pass
    # The rule steps in wall-clock time; a time the clocks skip at a spring-forward change
    # does not exist. Such a time always sits next to a change of UTC offset (or ends the
    # series), so only those few are looked at and moved to the time a clock shows then.
    offsets = [moment.utcoffset() for moment in starts]
    last = len(starts) - 1
    for index in range(1, len(starts)):
        if (
            index == last
            or offsets[index] != offsets[index - 1]
            or offsets[index] != offsets[index + 1]
        ):
            starts[index] = _existing(starts[index])
    return tuple(starts)


def _rule(local_start, repeat_type, reminders, end):
    custom = _uint(reminders.get("is_custom_repeat")) == 1 and repeat_type in CUSTOM_REPEAT_TYPES
    options = {"dtstart": local_start, "until": end, "cache": False}
    if repeat_type == REPEAT_WORKDAYS:
        options.update(freq=DAILY, byweekday=_WEEKDAYS[:5])
    else:
        options["freq"] = _FREQUENCIES[repeat_type]
        if repeat_type == REPEAT_MONTHLY:
            # A day the month lacks (the 31st in April, the 29th to 31st in February) is
            # skipped, not moved to the month's last day: RFC 5545 reads BYMONTHDAY this way
            # and WeCom documents nothing else.
            options["bymonthday"] = (local_start.day,)
        if custom:
            interval = _uint(reminders.get("repeat_interval"))
            options["interval"] = interval if interval is not None and interval >= 1 else 1
            if repeat_type == REPEAT_WEEKLY:
                days = _days(reminders.get("repeat_day_of_week"), 7, local_start.isoweekday())
                options["byweekday"] = tuple(_WEEKDAYS[day - 1] for day in days)
                # Weeks begin on Monday in China, which decides which weeks an interval skips.
                options["wkst"] = MO
            elif repeat_type == REPEAT_MONTHLY:
                options["bymonthday"] = _days(
                    reminders.get("repeat_day_of_month"), 31, local_start.day
                )
    # RFC 5545 counts DTSTART as the first occurrence even when it does not match the rule,
    # which dateutil does not; `_series` puts it first itself, so a workday series set to
    # start on a Saturday still meets then.
    return rrule(**options)


def _days(value, highest, own_day):
    days = {own_day}
    if isinstance(value, list | tuple):
        days.update(day for day in map(_uint, value) if day is not None and 1 <= day <= highest)
    return tuple(sorted(days))


def _existing(moment):
    if moment.utcoffset() != moment.replace(fold=1).utcoffset():
        return moment.astimezone(UTC).astimezone(moment.tzinfo)
    return moment


def _uint(value, default=None):
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if value >= 0 else default
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return default
