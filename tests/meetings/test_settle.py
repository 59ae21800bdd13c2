"""The settle decision alone: how long a sync waits after saves."""

from datetime import UTC, datetime, timedelta

from meetings.settle import delay

T0 = datetime(2031, 6, 2, 9, 0, tzinfo=UTC)


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def test_a_meeting_never_saved_here_goes_at_once():
    assert delay(at(0), None, None, window=1, ceiling=30) == 0


def test_the_window_restarts_with_each_save():
    # Saves at 0, 0.5 and 1.0: at 1.2 the last one is 0.2 s old.
    assert delay(at(1.2), at(1.0), at(0), window=1, ceiling=30) == 0.8
    assert delay(at(2.0), at(1.0), at(0), window=1, ceiling=30) == 0


def test_the_ceiling_ends_the_wait_of_a_meeting_edited_without_pause():
    # Saved every half second since 0: the window alone would never close.
    assert delay(at(29.6), at(29.5), at(0), window=1, ceiling=30) == 0.4
    assert delay(at(30.0), at(29.9), at(0), window=1, ceiling=30) == 0


def test_no_window_means_no_wait():
    assert delay(at(5), at(5), at(5), window=0, ceiling=30) == 0
