"""The values the fuzzing found answered with a server error on PostgreSQL (a NUL, which its
text type refuses) now get a message next to their field, in the administrator's language,
or a 404 for a path."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from meetings.models import Calendar, Person
from tests.meetings.factories import (
    as_post,
    field_html,
    form_data,
    local_unix,
    make_meeting,
    office_client,
)

__all__ = ["office_client"]

pytestmark = pytest.mark.django_db

ZH = "不能包含空字符"
EN = "Null characters are not allowed."


@pytest.fixture
def meeting(db):
    Person.objects.create(userid="lisi", name="李四", source=Person.Source.CSV)
    return make_meeting(meeting_start=local_unix(days_ahead=3), invitees=["zhangsan", "lisi"])


@pytest.mark.parametrize("name", ["invitees", "settings-hosts", "title", "location"])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_nul_in_an_edit_field_is_said_next_to_it(office_client, meeting, name, htmx):
    data = as_post(form_data(meeting, **{name: "lisi\x00"}))
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER_NAME": name} if htmx else {}
    if htmx:
        data["_render"] = ["1"]
    response = office_client.post(reverse("meetings:edit", args=[meeting.pk]), data, **headers)
    assert response.status_code == 200
    # A redraw shows no errors while typing; the save shows them.
    assert (ZH in field_html(response, name)) is not htmx
    meeting.refresh_from_db()
    assert meeting.version == 1  # nothing was saved


def test_a_nul_in_a_new_meetings_organiser_is_said_in_english_on_request(office_client):
    office_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = office_client.post(
        reverse("meetings:new"),
        {"admin_userid": "zhang\x00san", "title": "周会", "invitees": "li\x00si"},
    )
    assert response.status_code == 200
    assert EN in field_html(response, "admin_userid")
    assert EN in field_html(response, "invitees")


def test_a_nul_in_the_people_search_is_said_not_searched(office_client, meeting):
    response = office_client.get(
        reverse("meetings:people_search"), {"for": "invitees", "q": "\x00"}
    )
    assert response.status_code == 200
    assert ZH in response.content.decode()
    found = office_client.get(reverse("meetings:people_search"), {"for": "invitees", "q": "李"})
    assert "lisi" in found.content.decode()


@pytest.mark.parametrize("page", ["calendar_edit", "calendar_delete"])
def test_a_calendar_path_with_a_control_character_is_not_found(office_client, page):
    Calendar.objects.create(cal_id="cal1", summary="日历", color="#112233")
    assert office_client.get(reverse(f"meetings:{page}", args=["cal1"])).status_code == 200
    for bad in ("%00", "cal1%00", "%0Acal1", "%1B"):
        assert office_client.get(f"/calendars/{bad}/{page.split('_')[1]}/").status_code == 404


def test_an_admin_filter_with_a_nul_is_dropped_with_a_message(client):
    user = get_user_model().objects.create_superuser("root", password="unused-9x")
    client.force_login(user)
    url = reverse("admin:meetings_auditevent_changelist")
    response = client.get(url, {"actor_username": "\x00", "action": "edit"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"{url}?action=edit"
    assert ZH in response.content.decode()
