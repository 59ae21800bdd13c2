"""People by name: every page that shows a person shows the directory's name with the userid
beside it, and a userid the directory has no name for as it is, marked."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from meetings import presenters
from meetings.models import Meeting, Person, SyncState
from tests.meetings.factories import (
    as_post,
    field_html,
    form_data,
    local_unix,
    make_meeting,
    office_client,
)

pytestmark = pytest.mark.django_db
__all__ = ["office_client"]

LIST = reverse("meetings:list")


@pytest.fixture
def directory():
    Person.objects.create(userid="lisi", name="李四", source=Person.Source.CSV)
    Person.objects.create(userid="zhangsan", name="张三", source=Person.Source.CSV)
    # Seen in a meeting only: in the table, but with no name to show.
    Person.objects.create(userid="wangwu", source=Person.Source.MEETING)


def test_a_label_says_the_name_and_userid_and_marks_an_unknown_userid(directory):
    labels = presenters.person_labels(["lisi", "LiSi", "wangwu", "ghost"])
    assert str(labels["lisi"]) == "李四 (lisi)"
    # WeCom's userids ignore case: the name is found however it was typed.
    assert labels["LiSi"].name == "李四"
    assert str(labels["wangwu"]) == "wangwu" and not labels["wangwu"].known
    html = presenters.person_html(labels["ghost"])
    assert 'class="person unknown"' in html and "ghost" in html
    html = presenters.person_html(labels["lisi"])
    assert 'class="person-name">李四<' in html and 'class="person-userid">(lisi)<' in html


def test_the_list_names_each_organiser_in_a_constant_number_of_queries(office_client, directory):
    make_meeting(title="By Zhang", admin_userid="zhangsan")
    make_meeting(title="By a stranger", admin_userid="ghost")
    page = office_client.get(LIST).content.decode()
    assert "张三" in page and "(zhangsan)" in page
    assert 'class="person unknown"' in page and ">ghost<" in page

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert office_client.get(LIST).status_code == 200
        return len(captured)

    few = queries()
    for n in range(12):
        Person.objects.create(userid=f"org{n}", name=f"组织者{n}", source=Person.Source.CSV)
        make_meeting(admin_userid=f"org{n}", meeting_start=local_unix(days_ahead=n + 1))
    assert queries() == few
    assert "组织者11" in office_client.get(LIST).content.decode()


def test_the_detail_page_names_the_organiser_and_the_invitees(office_client, directory):
    meeting = make_meeting(admin_userid="zhangsan", invitees=["zhangsan", "lisi", "ghost"])
    page = office_client.get(
        reverse("meetings:detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "张三" in page and "李四" in page
    text = strip_tags(page)
    assert "张三 (zhangsan), 李四 (lisi), ghost" in text.replace("?", "")


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "李四 (lisi) is a host but is not invited: invite them too."),
        ("zh-hans", "李四 (lisi)是主持人，但不在受邀成员中：请同时邀请该成员。"),
    ],
)
def test_a_field_message_names_the_person(office_client, directory, language, message):
    meeting = make_meeting(invitees=["wangwu"])
    url = reverse("meetings:edit", args=[meeting.pk])
    data = form_data(meeting, **{"settings-hosts": "lisi"})
    response = office_client.post(url, as_post(data), HTTP_ACCEPT_LANGUAGE=language)
    assert message in field_html(response, "settings-hosts")


def test_the_changes_panel_names_the_people_added_and_removed(office_client, directory):
    meeting = make_meeting(invitees=["wangwu"])
    url = reverse("meetings:edit", args=[meeting.pk])
    data = form_data(meeting, invitees="wangwu, lisi", _render="changes")
    html = office_client.post(url, as_post(data), HTTP_HX_REQUEST="true").content.decode()
    assert 'class="person-name">李四<' in html
    assert 'class="person unknown"' in html  # wangwu has no name


def test_the_conflict_view_names_the_people_on_each_side(admin_client, directory):
    meeting = make_meeting(invitees=["lisi"])
    Meeting.objects.filter(pk=meeting.pk).update(
        sync_state=SyncState.CONFLICT,
        version=2,
        synced_version=1,
        conflict={"invitees": {"mine": ["lisi"], "wecom": ["lisi", "zhangsan"]}},
    )
    panel = admin_client.get(
        reverse("meetings:sync_panel", args=[meeting.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'class="person-name">张三<' in panel and 'class="person-name">李四<' in panel
