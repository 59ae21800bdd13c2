"""The settle decision alone: how long a sync waits after saves."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models.functions import Now

from meetings.models import Meeting
from meetings.settle import delay, settled, wait

from .factories import make_meeting

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


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("saved_ago", "first_ago", "due"),
    [
        (None, None, True),  # never saved here
        (0.2, 0.2, False),  # just saved
        (5, 5, True),  # the window has closed
        (0.2, 40, True),  # saved again and again since long before the ceiling
        (0.2, 20, False),  # saved again and again, the ceiling still ahead
    ],
)
def test_the_claim_condition_agrees_with_the_delay(settings, saved_ago, first_ago, due):
    settings.SYNC_SETTLE_SECONDS = 1
    settings.SYNC_SETTLE_MAX_SECONDS = 30
    meeting = make_meeting()

    def ago(seconds):
        return None if seconds is None else Now() - timedelta(seconds=seconds)

    Meeting.objects.filter(pk=meeting.pk).update(
        saved_at=ago(saved_ago), unsynced_since=ago(first_ago)
    )

    found = Meeting.objects.filter(settled(), pk=meeting.pk).exists()
    assert found is due
    assert (wait(meeting.pk) == 0) is due
