"""The occurrences preview of the edit page, on top of WeCom's repeat semantics.

The semantics themselves (what daily, workdays, custom weekly… mean, the 200 / 50 caps)
are wire-format knowledge and live in `wecom.recurrence`; this module only picks what the
page shows from the series.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from wecom.recurrence import occurrences


@dataclass(frozen=True)
class Preview:
    """What the edit page says about a series.

    `occurrences` are the next few starts as local datetimes; `total` counts the whole
    series and `remaining` the part not yet started (equal without `now`); `last` is the
    final start; `capped` says WeCom's cap of `cap` occurrences, not the chosen end, stops
    the series (`cap` is None for a meeting that does not repeat).
    """

    occurrences: tuple[datetime, ...]
    duration: int
    total: int
    remaining: int
    last: datetime
    capped: bool
    cap: int | None

    @property
    def repeats(self):
        return self.cap is not None

    @property
    def more(self):
        """How many upcoming occurrences the preview leaves out."""
        return self.remaining - len(self.occurrences)


def preview(meeting_start, meeting_duration, reminders, tz=None, limit=10, *, now=None):
    """The preview of a meeting starting at `meeting_start` (unix seconds).

    `tz` is the zone whose wall clock the series keeps, by default Django's current time
    zone; with `now` (unix seconds), occurrences that have already started are not shown.
    """
    if tz is None:
        from django.utils import timezone

        tz = timezone.get_current_timezone()
    start = datetime.fromtimestamp(meeting_start, UTC)
    series = occurrences(start, meeting_duration, reminders, tz)
    upcoming = series.starts
    if now is not None:
        upcoming = tuple(moment for moment in upcoming if moment.timestamp() >= now)
    return Preview(
        occurrences=upcoming[: max(limit, 0)],
        duration=meeting_duration,
        total=len(series),
        remaining=len(upcoming),
        last=series.last,
        capped=series.capped,
        cap=series.cap,
    )
