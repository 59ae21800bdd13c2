"""Values a person can type that the database cannot compare, and the line drawn around them.

A date input takes any day from 0001-01-01 to 9999-12-31, but not each such day begins at a
moment the database can hold: it keeps UTC, and midnight of 1 January of year 1 east of
Greenwich falls in year 0 there, which no datetime has; the day after 31 December 9999 has no
date at all. An id is digits of any length, but the database's integers end at LARGEST_ID
(SQLite refuses a larger one outright). Every page that turns typed text into such a value asks
here, so that all draw the line in the same place; and a list of ids reaches no query with one
that no row can have (`IntegerIn`), whoever typed it.
"""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.datastructures import OrderedSet

from . import payloads

# The largest integer SQLite and PostgreSQL (bigint, every primary key here) hold.
LARGEST_ID = 2**63 - 1


def seconds(moment: datetime) -> int | None:
    """`moment` in unix seconds, or None when UTC has no datetime for it."""
    try:
        counted = payloads.to_unix(moment)
        # Read back too: timestamp() counts the first hours of year 1 east of Greenwich
        # without complaint, but they fall in year 0 in UTC, which no datetime can hold.
        payloads.from_unix(counted)
    except (OverflowError, OSError, ValueError):
        return None
    return counted


def midnight(day: date) -> datetime:
    """The moment `day` begins in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def has_start(day: date | None) -> bool:
    """Whether `day` begins at a moment the database can compare (see `seconds`)."""
    return day is not None and seconds(midnight(day)) is not None


def first_day() -> date:
    """The earliest day that `has_start`: 1 January of year 1, or the 2nd east of Greenwich
    (no zone is a whole day away from UTC). Every later day has one."""
    return date.min if has_start(date.min) else date.min + timedelta(days=1)


def shifted(day: date, days: int) -> date | None:
    """The day `days` after `day` (before it when negative), or None past the calendar's
    ends."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def row_id(text: str) -> int | None:
    """The id that `text` (digits) names, or None when no row can have it."""
    # Counted before converting: Python refuses to read thousands of digits as a number.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(LARGEST_ID)):
        return None
    number = int(text)
    return number if number <= LARGEST_ID else None


class RowId:
    """A path converter like "int" that does not match an id no row can have (a 404)."""

    regex = "[0-9]+"

    def to_python(self, value):
        number = row_id(value)
        if number is None:
            # The resolver's "no match".
            raise ValueError(value)
        return number

    def to_url(self, value):
        return str(value)


@IntegerField.register_lookup
class IntegerIn(In):
    """`in` over an integer column, leaving out the values no such column holds: they match no
    row, as Django's own comparisons (`exact`, `lt`…) already say of them, where SQLite refuses
    the whole query. Django's admin asks it of the rows ticked in a form (a group's
    permissions, a person's groups) and of those an action is run on, every pk typed in the
    request; this product, of the meetings ticked for a batch change."""

    def batch_process_rhs(self, compiler, connection, rhs=None):
        low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
        held = OrderedSet(
            value
            for value in (self.rhs if rhs is None else rhs)
            if not isinstance(value, int)
            or ((low is None or value >= low) and (high is None or value <= high))
        )
        if not held:
            raise EmptyResultSet
        return super().batch_process_rhs(compiler, connection, held)
