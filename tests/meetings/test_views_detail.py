import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from meetings.models import Calendar, Status
from tests.meetings.factories import local_unix, make_meeting, office_client

pytestmark = pytest.mark.django_db
__all__ = ["office_client"]


def detail(client, meeting):
    response = client.get(reverse("meetings:detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_choices_flags_and_people_in_words(office_client):
    Calendar.objects.create(cal_id="wcCAL1", summary="Sales calendar")
    meeting = make_meeting(
        title="Quarterly review",
        cal_id="wcCAL1",
        invitees=["lisi", "wangwu", "zhaoliu"],
        settings={
            "hosts": ["lisi"],
            "remind_scope": 2,
            "enable_waiting_room": True,
            "auto_record_type": "cloud",
            "enable_enter_mute": 1,
        },
        reminders={"remind_before": [0, 900]},
    )
    page = detail(office_client, meeting)
    assert "Ring the hosts only" in page
    assert "<dt>Ring at start</dt><dd>2</dd>" not in page
    assert "<dt>Waiting room</dt><dd>Yes</dd>" in page
    assert "<dt>Registration</dt><dd>No</dd>" in page
    assert "Cloud recording" in page
    # People not in the directory: their userids as they are, each marked.
    invitees = re.search(r"<dt>Invitees</dt><dd>(.*?)</dd>", page).group(1)
    assert strip_tags(invitees).replace("?", "") == "lisi, wangwu, zhaoliu"
    assert invitees.count('class="person unknown"') == 3
    assert "<dt>Calendar</dt><dd>Sales calendar</dd>" in page
    assert "At the start, 15 minutes before" in page
    assert "Does not repeat" in page
    # Ring users apply only when chosen people ring, so they are not shown.
    assert "Ring these people" not in page


def test_it_shows_in_chinese_by_default(office_client):
    meeting = make_meeting(settings={"enable_waiting_room": True})
    page = office_client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert page["Content-Language"] == "zh-hans"


def test_it_never_shows_the_password_or_host_key(office_client):
    meeting = make_meeting(
        settings={"password": "482913", "enable_host_key": True, "host_key": "775511"}
    )
    page = detail(office_client, meeting)
    assert "482913" not in page
    assert "775511" not in page
    assert "<dt>Meeting password</dt><dd>set</dd>" in page
    assert "<dt>Host key value</dt><dd>set</dd>" in page


def test_it_says_when_there_is_no_password(office_client):
    page = detail(office_client, make_meeting())
    assert "<dt>Meeting password</dt><dd>not set</dd>" in page


def test_it_summarises_the_repeat_and_lists_the_next_dates(office_client):
    meeting = make_meeting(
        meeting_start=local_unix(days_ahead=7, hour=9, weekday=0),
        reminders={
            "is_repeat": 1,
            "repeat_type": 1,
            "is_custom_repeat": 1,
            "repeat_interval": 2,
            "repeat_day_of_week": [1, 3],
            "repeat_until_type": 1,
            "repeat_until_count": 6,
        },
    )
    page = detail(office_client, meeting)
    assert "Every 2 weeks on Monday, Wednesday, 6 meetings in all" in page
    assert page.count("(Monday)") + page.count("(Wednesday)") >= 6
    assert "6 meetings in all, the last on" in page


def test_it_shows_a_started_meeting_read_only_with_the_reason(office_client):
    meeting = make_meeting(status=Status.IN_PROGRESS)
    page = detail(office_client, meeting)
    assert "This meeting has started, so WeCom no longer accepts changes to it." in page
    assert reverse("meetings:edit", args=[meeting.pk]) not in page


def test_it_links_a_scheduled_meeting_to_its_edit_page(office_client):
    meeting = make_meeting()
    assert reverse("meetings:edit", args=[meeting.pk]) in detail(office_client, meeting)


def test_it_answers_404_for_an_unknown_meeting(office_client):
    response = office_client.get(reverse("meetings:detail", args=[987654]))
    assert response.status_code == 404


@pytest.mark.parametrize("page", ["", "edit/"])
def test_it_answers_404_for_an_id_beyond_the_databases_integers(office_client, page):
    """SQLite refuses such a number in a query outright."""
    response = office_client.get(f"/meetings/{2**63}/{page}")
    assert response.status_code == 404
