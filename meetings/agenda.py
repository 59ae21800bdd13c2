"""The agenda: the occurrences of meetings day by day over a week (or one day).

A recurring series is expanded from the occurrences WeCom listed for it (`sub_meetings`, as
get_info last answered): WeCom, not a calculation here, says when a series meets. A meeting
that does not repeat, or a series WeCom has not listed yet, is its own single occurrence.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from . import bounds, presenters
from .models import Meeting, Status

WEEK = 7


@dataclass(frozen=True)
class Occurrence:
    meeting: Meeting
    start: datetime
    end: datetime
    status: int
    sub_meetingid: str = ""
    organiser: object = None

    @property
    def recurring(self):
        return bool(self.sub_meetingid)

    @property
    def cancelled(self):
        return self.status == Status.CANCELLED


@dataclass(frozen=True)
class Day:
    day: date
    occurrences: list


def week_start(day):
    """The Monday of the week that holds `day`, as WeCom's clients start a week."""
    return day - timedelta(days=day.weekday())


def _local(unix):
    return timezone.localtime(datetime.fromtimestamp(int(unix), tz=timezone.get_current_timezone()))


def occurrences_between(first, last):
    """Every occurrence starting on a local day from `first` to `last` (dates), by start.
    Two queries: the meetings (with their repeat settings) and their organisers' names."""
    since, until = bounds.midnight(first), bounds.midnight(last + timedelta(days=1))
    meetings = (
        Meeting.objects.select_related("reminders")
        # A series starts before the range and meets inside it: its first start bounds it.
        .filter(start__lt=until)
        .filter(Q(start__gte=since) | Q(reminders__is_repeat=True))
        .order_by("start", "pk")
    )
    found = []
    for meeting in meetings:
        listed = meeting.sub_meetings if meeting.reminders.is_repeat else []
        spans = [
            (
                _local(sub["start"]),
                _local(sub["end"]),
                _occurrence_status(meeting, sub),
                str(sub["sub_meetingid"]),
            )
            for sub in listed
        ] or [
            (timezone.localtime(meeting.start), timezone.localtime(meeting.end), meeting.status, "")
        ]
        found += [
            Occurrence(meeting, start, end, status, sub_meetingid)
            for start, end, status, sub_meetingid in spans
            if since <= start < until
        ]
    named = presenters.person_labels(o.meeting.admin_userid for o in found)
    found = [
        replace(o, organiser=named.get(o.meeting.admin_userid, o.meeting.admin_userid))
        for o in found
    ]
    found.sort(key=lambda o: (o.start, o.meeting.pk))
    return found


def _occurrence_status(meeting, sub):
    """An occurrence's own flag says only whether it was deleted (get_info's sub_meetings
    status 0/1); a series cancelled whole cancels each of its occurrences."""
    if sub.get("deleted") or meeting.status == Status.CANCELLED:
        return Status.CANCELLED
    return Status.SCHEDULED


def days(first, count):
    """`count` days from `first`, each with its occurrences."""
    last = first + timedelta(days=count - 1)
    by_day: dict[date, list[Occurrence]] = {first + timedelta(days=n): [] for n in range(count)}
    for occurrence in occurrences_between(first, last):
        by_day[occurrence.start.date()].append(occurrence)
    return [Day(day, items) for day, items in by_day.items()]
