"""Whatever arrives in the edit form's fields, the page answers without a server error."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meetings.forms import SECTIONS
from tests.meetings.factories import as_post, form_data, local_unix, make_meeting, office_client

pytestmark = pytest.mark.django_db
__all__ = ["office_client"]

NAMES = [name for names in SECTIONS.values() for name in names] + [
    "version",
    "rendered",
    "_render",
]
# Random text, and values near the ones the controls send, so that random posts also reach
# the rules rather than stopping at the parsing.
VALUES = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**40), max_value=2**40).map(str),
    st.sampled_from(
        [
            "",
            "on",
            "0",
            "1",
            "2",
            "4",
            "7",
            "cloud",
            "2031-06-02T09:30",
            "0001-01-01T00:00",
            "9999-12-31T23:59",
            "2031-06-30",
            "0001-01-01",
            "9999-12-31",
            "settings",
            "recurrence",
            "changes",
            "reminders-repeat_day_of_week",
        ]
    ),
)


@pytest.fixture
def meeting(db):
    return make_meeting(
        meeting_start=local_unix(days_ahead=3),
        settings={"password": "1234", "remind_scope": 4, "ring_users": ["lisi"]},
        reminders={
            "is_repeat": 1,
            "repeat_type": 1,
            "is_custom_repeat": 1,
            "repeat_interval": 1,
            "repeat_until_type": 1,
            "repeat_until_count": 5,
        },
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    posted=st.dictionaries(st.sampled_from(NAMES), st.lists(VALUES, max_size=3), max_size=12),
    from_saved_form=st.booleans(),
    htmx=st.booleans(),
)
# Unix seconds exist for it, but in UTC it falls in year 0, which no datetime holds.
@example(posted={"meeting_start": ["0001-01-01T00:00"]}, from_saved_form=False, htmx=False)
def test_it_never_answers_with_a_server_error(
    office_client, meeting, posted, from_saved_form, htmx
):
    data = form_data(meeting) if from_saved_form else {}
    data = as_post(data)
    data.update(posted)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = office_client.post(reverse("meetings:edit", args=[meeting.pk]), data, **headers)
    assert response.status_code < 500
