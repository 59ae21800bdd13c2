"""Random repeat settings: the expansion never raises and its series is always well formed."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetings.recurrence import preview
from wecom.recurrence import occurrences

START = st.integers(min_value=946_684_800, max_value=4_102_444_800)  # 2000 to 2100
ZONES = st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/Santiago", "UTC"]).map(ZoneInfo)
anything = st.none() | st.booleans() | st.integers() | st.text(max_size=6) | st.floats()
number = st.integers(min_value=-1, max_value=300) | st.integers() | anything
reminders = (
    st.fixed_dictionaries(
        {},
        optional={
            "is_repeat": st.just(1) | number,
            "repeat_type": st.sampled_from([0, 1, 2, 7]) | number,
            "is_custom_repeat": st.sampled_from([0, 1]) | number,
            "repeat_interval": st.integers(min_value=1, max_value=120) | number,
            "repeat_day_of_week": st.lists(number, max_size=8) | anything,
            "repeat_day_of_month": st.lists(number, max_size=8) | anything,
            "repeat_until_type": st.sampled_from([0, 1]) | number,
            "repeat_until": START | number,
            "repeat_until_count": st.integers(min_value=0, max_value=300) | number,
        },
    )
    | anything
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(START, reminders, ZONES)
def test_it_always_gives_an_ordered_capped_series_starting_at_the_start(start, reminders, zone):
    moment = datetime.fromtimestamp(start, UTC)
    series = occurrences(moment, 3600, reminders, zone)
    assert series.starts[0] == moment
    assert 1 <= len(series) <= 200
    assert all(a < b for a, b in zip(series.starts, series.starts[1:], strict=False))
    assert {m.tzinfo for m in series} == {zone}
    if series.cap is not None:
        assert len(series) <= series.cap
    result = preview(start, 3600, reminders, zone, limit=5)
    assert result.total == len(series)
    assert result.last == series.last
    assert len(result.occurrences) == min(5, len(series))
