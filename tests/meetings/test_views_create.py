import re
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.forms import new_meeting
from meetings.models import AuditEvent, Meeting, Person, SyncState
from tests.meetings.factories import as_post, field_html, flash, form_data, office_client

pytestmark = pytest.mark.django_db
__all__ = ["office_client"]

NEW = reverse("meetings:new")


@pytest.fixture
def creator(office_client):
    """The logged-in client, reading the pages in English so that messages can be compared."""
    office_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return office_client


def typed(**changes):
    """What the new-meeting form posts: its blank state with `changes` typed in."""
    values = {
        "title": "Kick-off",
        "meeting_start": "2031-06-02T09:30",
        "meeting_duration": 45,
        "invitees": "lisi, wangwu",
        "admin_userid": "zhangsan",
        **changes,
    }
    return as_post(form_data(new_meeting(), **values))


def test_it_shows_the_edit_form_with_the_organiser_and_a_start_ahead(creator):
    response = creator.get(NEW)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>New meeting</h1>" in page
    assert f'action="{NEW}"' in page
    organiser = field_html(response, "admin_userid")
    assert "Organiser" in organiser
    assert 'name="admin_userid"' in organiser
    # The same name search as the invitees.
    assert 'id="people-search-admin_userid"' in organiser
    start = re.search(r'name="meeting_start" value="([^"]+)"', page).group(1)
    moment = timezone.make_aware(datetime.strptime(start, "%Y-%m-%dT%H:%M"))
    assert moment > timezone.now()
    assert moment.minute == 0
    assert 'name="meeting_duration" value="30"' in page


def test_it_starts_with_the_administrator_as_the_organiser_when_wecom_knows_them(creator):
    from django.contrib.auth import get_user_model

    from meetings.actions import account as account_actions

    assert 'value="lisi"' not in field_html(creator.get(NEW), "admin_userid")
    account_actions.set_wecom_userid(get_user_model().objects.get(username="office"), "lisi")

    organiser = field_html(creator.get(NEW), "admin_userid")

    assert 'name="admin_userid" value="lisi"' in organiser


def test_it_creates_the_meeting_for_the_worker_with_the_organiser_invited_first(creator):
    response = creator.post(NEW, typed(**{"settings-password": "2468"}))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:detail", args=[meeting.pk])
    assert flash(response) == ["Saved. WeCom will create the meeting shortly."]
    assert meeting.meetingid is None
    assert meeting.title == "Kick-off"
    assert meeting.admin_userid == "zhangsan"
    assert timezone.localtime(meeting.start) == timezone.make_aware(datetime(2031, 6, 2, 9, 30))
    assert meeting.duration == 45 * 60
    assert meeting.invitees == ["zhangsan", "lisi", "wangwu"]
    assert meeting.settings.password == "2468"
    assert meeting.sync_state == SyncState.PENDING
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert event.meeting_id == meeting.pk
    assert event.actor_username == "office"


def test_it_keeps_the_organiser_where_they_were_typed_among_the_invitees(creator):
    creator.post(NEW, typed(invitees="lisi, zhangsan"))
    assert Meeting.objects.get().invitees == ["lisi", "zhangsan"]


def test_it_says_beside_the_invitees_that_the_organiser_was_added(creator):
    response = creator.post(NEW, typed(_render="people"), HTTP_HX_REQUEST="true")
    assert "zhangsan was added: the organiser is always among the invitees." in field_html(
        response, "invitees"
    )
    response = creator.post(
        NEW, typed(_render="people", invitees="zhangsan"), HTTP_HX_REQUEST="true"
    )
    assert "was added" not in field_html(response, "invitees")


@pytest.mark.parametrize(
    "organiser, error",
    [
        ("", "This field is required."),
        ("zhang san", "“zhang san” is not a valid userid"),
    ],
    ids=["missing", "malformed"],
)
def test_it_refuses_a_missing_or_malformed_organiser_beside_it(creator, organiser, error):
    response = creator.post(NEW, typed(admin_userid=organiser, title="Typed title"))
    assert response.status_code == 200
    assert error in field_html(response, "admin_userid")
    assert 'value="Typed title"' in field_html(response, "title")
    assert not Meeting.objects.exists()


def test_the_organiser_and_the_people_lists_take_names_and_say_which_name_is_shared(creator):
    Person.objects.create(userid="zhangsan", name="张三", source="csv")
    Person.objects.create(userid="wangwu", name="王五", source="csv")
    Person.objects.create(userid="lisi", name="李四", source="csv")
    Person.objects.create(userid="lisi2", name="李四", source="csv")

    # While typing, a name of one person shows as them; a name several people have, so.
    response = creator.post(
        NEW,
        typed(_render="people", invitees="王五, 李四", admin_userid="张三"),
        HTTP_HX_REQUEST="true",
    )
    chips = field_html(response, "invitees")
    assert 'data-userid="wangwu"' in chips
    assert "not a valid userid" not in chips
    assert "several people have this name" in chips

    response = creator.post(NEW, typed(invitees="王五", admin_userid="张三"))
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.admin_userid == "zhangsan"
    assert meeting.invitees == ["zhangsan", "wangwu"]


def test_it_refuses_a_start_in_the_past_beside_the_start(creator):
    response = creator.post(NEW, typed(meeting_start="2020-01-01T10:00"))
    assert response.status_code == 200
    start = field_html(response, "meeting_start")
    assert "The start must be in the future." in start
    assert 'value="2020-01-01T10:00"' in start
    assert not Meeting.objects.exists()


def test_it_redraws_a_fieldset_of_the_new_page(creator):
    response = creator.post(
        NEW,
        typed(_render="settings", **{"settings-enable_host_key": "on"}),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="fs-settings"' in html
    assert 'name="settings-host_key"' in html
    # The changes panel follows out of band, and nothing is saved.
    assert 'hx-swap-oob="true"' in html
    assert response["HX-Retarget"] == "#fs-settings"
    assert not Meeting.objects.exists()


def test_it_offers_the_new_page_to_those_who_may_edit(creator):
    page = creator.get(reverse("meetings:list")).content.decode()
    assert f'href="{NEW}"' in page
