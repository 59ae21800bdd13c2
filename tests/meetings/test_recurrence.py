from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from meetings.recurrence import preview
from wecom.recurrence import occurrence_cap, occurrences

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600


def local(*args, tz=SHANGHAI):
    return datetime(*args, tzinfo=tz)


def days(series):
    return [moment.date() for moment in series]


def repeat(repeat_type, **fields):
    return {"is_repeat": 1, "repeat_type": repeat_type, **fields}


def custom(repeat_type, interval=1, **fields):
    return repeat(repeat_type, is_custom_repeat=1, repeat_interval=interval, **fields)


def count(n):
    return {"repeat_until_type": 1, "repeat_until_count": n}


# --- one-off and simple repeats --------------------------------------------------------


@pytest.mark.parametrize("reminders", [None, {}, {"is_repeat": 0, "repeat_type": 1}, "junk"])
def test_it_gives_a_one_off_meeting_its_single_start(reminders):
    start = local(2026, 1, 5, 9)
    series = occurrences(start, HOUR, reminders, SHANGHAI)
    assert series.starts == (start,)
    assert series.capped is False
    assert series.cap is None


def test_it_repeats_daily():
    series = occurrences(local(2026, 1, 30, 9), HOUR, repeat(0, **count(4)), SHANGHAI)
    assert days(series) == [
        date(2026, 1, 30),
        date(2026, 1, 31),
        date(2026, 2, 1),
        date(2026, 2, 2),
    ]
    assert {(m.hour, m.minute) for m in series} == {(9, 0)}
    assert series.capped is False


def test_it_repeats_weekly_on_the_start_weekday():
    series = occurrences(local(2026, 1, 7, 14, 30), HOUR, repeat(1, **count(3)), SHANGHAI)
    assert days(series) == [date(2026, 1, 7), date(2026, 1, 14), date(2026, 1, 21)]


def test_it_repeats_monthly_on_the_start_day_skipping_months_without_it():
    series = occurrences(local(2026, 1, 31, 9), HOUR, repeat(2, **count(4)), SHANGHAI)
    assert days(series) == [
        date(2026, 1, 31),
        date(2026, 3, 31),
        date(2026, 5, 31),
        date(2026, 7, 31),
    ]


def test_it_skips_february_for_the_29th_except_in_leap_years():
    series = occurrences(local(2027, 1, 29, 9), HOUR, repeat(2, **count(3)), SHANGHAI)
    assert days(series) == [date(2027, 1, 29), date(2027, 3, 29), date(2027, 4, 29)]
    series = occurrences(local(2028, 1, 29, 9), HOUR, repeat(2, **count(3)), SHANGHAI)
    assert days(series) == [date(2028, 1, 29), date(2028, 2, 29), date(2028, 3, 29)]


def test_it_repeats_on_workdays_skipping_weekends():
    friday = local(2026, 1, 9, 9)
    series = occurrences(friday, HOUR, repeat(7, **count(4)), SHANGHAI)
    assert days(series) == [
        date(2026, 1, 9),
        date(2026, 1, 12),
        date(2026, 1, 13),
        date(2026, 1, 14),
    ]
    assert all(moment.isoweekday() <= 5 for moment in occurrences(friday, HOUR, repeat(7)))


def test_it_keeps_a_weekend_start_as_the_first_workday_meeting():
    saturday = local(2026, 1, 10, 9)
    series = occurrences(saturday, HOUR, repeat(7, **count(3)), SHANGHAI)
    assert days(series) == [date(2026, 1, 10), date(2026, 1, 12), date(2026, 1, 13)]


def test_it_ignores_custom_fields_for_workdays():
    series = occurrences(local(2026, 1, 9, 9), HOUR, custom(7, interval=5, **count(2)), SHANGHAI)
    assert days(series) == [date(2026, 1, 9), date(2026, 1, 12)]


def test_it_treats_an_unknown_repeat_type_as_not_repeating():
    start = local(2026, 1, 9, 9)
    assert occurrences(start, HOUR, repeat(5), SHANGHAI).starts == (start,)


# --- custom repeats --------------------------------------------------------------------


def test_it_repeats_custom_daily_every_few_days():
    series = occurrences(local(2026, 1, 30, 9), HOUR, custom(0, 3, **count(3)), SHANGHAI)
    assert days(series) == [date(2026, 1, 30), date(2026, 2, 2), date(2026, 2, 5)]


def test_it_repeats_custom_weekly_on_several_days_every_other_week():
    wednesday = local(2025, 10, 15, 9)
    reminders = custom(1, 2, repeat_day_of_week=[1, 3, 5], **count(7))
    series = occurrences(wednesday, HOUR, reminders, SHANGHAI)
    assert days(series) == [
        date(2025, 10, 15),
        date(2025, 10, 17),
        date(2025, 10, 27),  # the week of the 20th is skipped; weeks begin on Monday
        date(2025, 10, 29),
        date(2025, 10, 31),
        date(2025, 11, 10),
        date(2025, 11, 12),
    ]


def test_it_adds_the_start_weekday_to_a_custom_weekly_repeat():
    wednesday = local(2025, 10, 15, 9)
    series = occurrences(wednesday, HOUR, custom(1, repeat_day_of_week=[1], **count(4)))
    assert days(series) == [
        date(2025, 10, 15),
        date(2025, 10, 20),
        date(2025, 10, 22),
        date(2025, 10, 27),
    ]


def test_it_repeats_custom_monthly_on_several_days_adding_the_start_day():
    reminders = custom(2, 2, repeat_day_of_month=[1, 31], **count(6))
    series = occurrences(local(2026, 1, 10, 9), HOUR, reminders, SHANGHAI)
    assert days(series) == [
        date(2026, 1, 10),
        date(2026, 1, 31),
        date(2026, 3, 1),
        date(2026, 3, 10),
        date(2026, 3, 31),
        date(2026, 5, 1),
    ]


def test_it_ignores_malformed_days_and_intervals():
    reminders = custom(1, "x", repeat_day_of_week=[0, 9, "2", True, None], **count(3))
    series = occurrences(local(2025, 10, 15, 9), HOUR, reminders, SHANGHAI)
    # "2" is read as Tuesday, as a numeric string from get_info would be.
    assert days(series) == [date(2025, 10, 15), date(2025, 10, 21), date(2025, 10, 22)]


# --- ends and caps ---------------------------------------------------------------------


@pytest.mark.parametrize(("repeat_type", "cap"), [(0, 200), (1, 200), (7, 200), (2, 50)])
def test_it_caps_a_series_without_an_end(repeat_type, cap):
    series = occurrences(local(2026, 1, 5, 9), HOUR, repeat(repeat_type), SHANGHAI)
    assert len(series) == cap == occurrence_cap(repeat_type) == series.cap
    assert series.capped is True


@pytest.mark.parametrize(("repeat_type", "cap"), [(0, 200), (2, 50)])
def test_it_clamps_a_count_beyond_the_cap(repeat_type, cap):
    start = local(2026, 1, 5, 9)
    series = occurrences(start, HOUR, repeat(repeat_type, **count(cap + 1)), SHANGHAI)
    assert (len(series), series.capped) == (cap, True)
    series = occurrences(start, HOUR, repeat(repeat_type, **count(cap)), SHANGHAI)
    assert (len(series), series.capped) == (cap, False)


def test_it_clamps_an_end_date_beyond_the_cap():
    start = local(2026, 1, 5, 9)
    until = int(local(2040, 1, 1).timestamp())
    for repeat_type, cap in ((0, 200), (1, 200), (7, 200), (2, 50)):
        series = occurrences(start, HOUR, repeat(repeat_type, repeat_until=until), SHANGHAI)
        assert (len(series), series.capped) == (cap, True)


def test_it_is_not_capped_when_the_end_date_falls_on_the_last_allowed_meeting():
    start = local(2026, 1, 1, 9)
    two_hundredth = int((start + timedelta(days=199)).timestamp())
    series = occurrences(start, HOUR, repeat(0, repeat_until=two_hundredth), SHANGHAI)
    assert (len(series), series.capped) == (200, False)
    series = occurrences(start, HOUR, repeat(0, repeat_until=two_hundredth + 86400), SHANGHAI)
    assert (len(series), series.capped) == (200, True)


def test_it_ends_with_the_last_meeting_starting_at_or_before_the_end_date():
    start = local(2026, 1, 5, 9)
    fourth = int(local(2026, 1, 8, 9).timestamp())
    assert len(occurrences(start, HOUR, repeat(0, repeat_until=fourth), SHANGHAI)) == 4
    assert len(occurrences(start, HOUR, repeat(0, repeat_until=fourth - 1), SHANGHAI)) == 3


def test_it_reads_the_end_date_as_get_info_sends_it():
    start = local(2026, 1, 5, 9)
    fourth = str(int(local(2026, 1, 8, 9).timestamp()))
    assert len(occurrences(start, HOUR, repeat(0, repeat_until=fourth), SHANGHAI)) == 4


@pytest.mark.parametrize("until", [0, None, "", "soon", -5])
def test_it_reads_an_unset_end_date_as_no_end(until):
    series = occurrences(local(2026, 1, 5, 9), HOUR, repeat(0, repeat_until=until), SHANGHAI)
    assert (len(series), series.capped) == (200, True)


def test_it_keeps_the_start_when_the_end_date_comes_before_it():
    start = local(2026, 1, 5, 9)
    series = occurrences(start, HOUR, repeat(0, repeat_until=1), SHANGHAI)
    assert series.starts == (start,)


def test_it_reads_a_missing_count_as_the_cap():
    series = occurrences(local(2026, 1, 5, 9), HOUR, repeat(2, repeat_until_type=1), SHANGHAI)
    assert (len(series), series.capped) == (50, True)


def test_it_survives_an_interval_running_past_the_calendar():
    start = local(2026, 1, 5, 9)
    for repeat_type in (0, 1, 2):
        series = occurrences(start, HOUR, custom(repeat_type, 10**12), SHANGHAI)
        assert series.starts[0] == start


# --- time zones ------------------------------------------------------------------------


def test_it_keeps_the_wall_clock_in_shanghai():
    series = occurrences(local(2026, 3, 1, 9), HOUR, repeat(0, **count(60)), SHANGHAI)
    gaps = {b.timestamp() - a.timestamp() for a, b in zip(series, series.starts[1:], strict=False)}
    assert gaps == {86400}
    assert {m.utcoffset() for m in series} == {timedelta(hours=8)}


def test_it_keeps_nine_oclock_across_daylight_saving_in_berlin():
    start = local(2026, 3, 27, 9, tz=BERLIN)
    series = occurrences(start, HOUR, repeat(0, **count(4)), BERLIN)
    assert [(m.day, m.hour) for m in series] == [(27, 9), (28, 9), (29, 9), (30, 9)]
    assert series.starts[2].utcoffset() == timedelta(hours=2)
    assert series.starts[2].timestamp() - series.starts[1].timestamp() == 23 * HOUR


def test_it_keeps_the_wall_clock_weekly_across_the_autumn_change():
    start = local(2026, 10, 19, 9, tz=BERLIN)
    series = occurrences(start, HOUR, repeat(1, **count(3)), BERLIN)
    assert [m.astimezone(UTC).hour for m in series] == [7, 8, 8]
    assert {(m.hour, m.minute) for m in series} == {(9, 0)}


def test_it_moves_a_time_the_clocks_skip_to_the_time_they_show():
    start = local(2026, 3, 28, 2, 30, tz=BERLIN)
    series = occurrences(start, HOUR, repeat(0, **count(3)), BERLIN)
    assert [(m.day, m.hour, m.minute) for m in series] == [(28, 2, 30), (29, 3, 30), (30, 2, 30)]
    series = occurrences(start, HOUR, repeat(0, **count(2)), BERLIN)
    assert series.last.hour == 3


def test_it_follows_the_given_zone_rather_than_the_start_zone():
    start = datetime(2026, 3, 27, 8, tzinfo=UTC)  # 09:00 in Berlin
    series = occurrences(start, HOUR, repeat(0, **count(4)), BERLIN)
    assert {m.hour for m in series} == {9}
    assert series.last.tzinfo == BERLIN


def test_it_refuses_a_naive_start():
    with pytest.raises(ValueError):
        occurrences(datetime(2026, 1, 5, 9), HOUR, None, SHANGHAI)


def test_it_gives_the_ends_of_each_occurrence():
    series = occurrences(local(2026, 1, 5, 9), 1800, repeat(0, **count(2)), SHANGHAI)
    assert series.ends == (local(2026, 1, 5, 9, 30), local(2026, 1, 6, 9, 30))


def test_it_caps_long_series_at_200_whatever_ends_them():
    # How fast this runs is measured by tests/bench/bench_editor.py, not asserted here.
    start = local(2026, 1, 5, 9, tz=BERLIN)
    cases = [
        repeat(0),
        repeat(7, repeat_until=int(local(2030, 1, 1).timestamp())),
        custom(1, 2, repeat_day_of_week=[1, 3, 5]),
    ]
    for reminders in cases:
        series = occurrences(start, HOUR, reminders, BERLIN)
        assert len(series) == 200
        assert series.capped


# --- the preview -----------------------------------------------------------------------


def test_it_previews_the_next_ten_meetings():
    start = int(local(2026, 1, 31, 9).timestamp())
    result = preview(start, HOUR, repeat(2), SHANGHAI)
    assert len(result.occurrences) == 10
    assert result.occurrences[0] == local(2026, 1, 31, 9)
    assert result.occurrences[1] == local(2026, 3, 31, 9)
    assert (result.total, result.capped, result.cap) == (50, True, 50)
    assert result.last == occurrences(local(2026, 1, 31, 9), HOUR, repeat(2)).last
    assert result.more == 40
    assert result.repeats is True


def test_it_previews_a_one_off_meeting():
    start = int(local(2026, 1, 31, 9).timestamp())
    result = preview(start, HOUR, {"is_repeat": 0}, SHANGHAI)
    assert result.occurrences == (local(2026, 1, 31, 9),)
    assert (result.total, result.capped, result.repeats, result.more) == (1, False, False, 0)
    assert result.last == local(2026, 1, 31, 9)


def test_it_previews_as_many_as_asked():
    start = int(local(2026, 1, 5, 9).timestamp())
    result = preview(start, HOUR, repeat(0, **count(5)), SHANGHAI, limit=3)
    assert days(result.occurrences) == [date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)]
    assert (result.total, result.more, result.capped) == (5, 2, False)


def test_it_previews_only_what_has_not_started():
    start = int(local(2026, 1, 5, 9).timestamp())
    now = int(local(2026, 1, 7, 12).timestamp())
    result = preview(start, HOUR, repeat(0, **count(5)), SHANGHAI, now=now)
    assert days(result.occurrences) == [date(2026, 1, 8), date(2026, 1, 9)]
    assert (result.total, result.remaining) == (5, 2)


def test_it_previews_in_the_current_time_zone_by_default():
    start = int(local(2026, 3, 27, 9, tz=BERLIN).timestamp())
    with timezone.override(BERLIN):
        result = preview(start, HOUR, repeat(0, **count(4)))
    assert {m.hour for m in result.occurrences} == {9}
    assert result.occurrences[0].tzinfo == BERLIN
