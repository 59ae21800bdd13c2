from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, Status, SyncState
from tests.meetings.factories import local_unix, make_meeting, office_client

pytestmark = pytest.mark.django_db
__all__ = ["office_client"]

LIST = reverse("meetings:list")


def titles(response):
    return [meeting.title for meeting in response.context["page"].object_list]


def at(text):
    """Unix seconds of a local time written as 'YYYY-MM-DD HH:MM'."""
    moment = timezone.make_aware(datetime.strptime(text, "%Y-%m-%d %H:%M"))
    return int(moment.timestamp())


def test_it_sends_a_stranger_to_the_login_page(client):
    meeting = make_meeting()
    for url in (
        LIST,
        reverse("meetings:detail", args=[meeting.pk]),
        reverse("meetings:edit", args=[meeting.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_it_lists_meetings_by_start_with_local_time_duration_and_status_in_words(
    office_client,
):
    make_meeting(title="Later", meeting_start=at("2031-03-05 09:30"), meeting_duration=5400)
    earlier = make_meeting(
        title="Earlier", meeting_start=at("2031-03-04 14:00"), meeting_duration=1800
    )
    response = office_client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert titles(response) == ["Earlier", "Later"]
    # Asia/Shanghai: 14:00 local is 06:00 UTC, and the page speaks local time.
    assert "2031-03-04 14:00" in page
    assert "30 min" in page and "1 h 30 min" in page
    assert "Scheduled" in page
    assert f'href="{reverse("meetings:detail", args=[earlier.pk])}"' in page
    assert '<td class="sync">' in page


def test_it_finds_meetings_by_title_meetingid_or_a_persons_userid(office_client):
    make_meeting(title="Budget review", invitees=["lisi"])
    make_meeting(meetingid="hyFINDME", title="Standup", invitees=["wangwu"])
    make_meeting(
        title="Town hall",
        invitees=["zhaoliu", "sunqi"],
        settings={"hosts": ["zhaoliu"], "remind_scope": 4, "ring_users": ["sunqi"]},
    )
    assert titles(office_client.get(LIST, {"q": "budget"})) == ["Budget review"]
    assert titles(office_client.get(LIST, {"q": "hyFINDME"})) == ["Standup"]
    assert titles(office_client.get(LIST, {"q": "lisi"})) == ["Budget review"]
    # Hosts and ring users are found as well as invitees.
    assert titles(office_client.get(LIST, {"q": "zhaoliu"})) == ["Town hall"]
    assert titles(office_client.get(LIST, {"q": "sunqi"})) == ["Town hall"]
    assert titles(office_client.get(LIST, {"q": "nobody"})) == []


def test_it_filters_by_status(office_client):
    make_meeting(title="Coming")
    make_meeting(title="Running", status=Status.IN_PROGRESS)
    assert titles(office_client.get(LIST, {"status": Status.IN_PROGRESS})) == ["Running"]
    assert titles(office_client.get(LIST, {"status": ""})) == ["Coming", "Running"]


def test_it_filters_by_local_dates_including_both_ends(office_client):
    # 00:30 in Shanghai on the 10th is still the 9th in UTC: the local date is what counts.
    make_meeting(title="Before", meeting_start=at("2031-05-09 23:30"))
    make_meeting(title="Early on the 10th", meeting_start=at("2031-05-10 00:30"))
    make_meeting(title="Late on the 11th", meeting_start=at("2031-05-11 23:45"))
    make_meeting(title="After", meeting_start=at("2031-05-12 00:00"))
    response = office_client.get(LIST, {"date_from": "2031-05-10", "date_to": "2031-05-11"})
    assert titles(response) == ["Early on the 10th", "Late on the 11th"]


def test_it_shows_a_wrong_date_filter_as_wrong_and_lists_the_rest(office_client):
    make_meeting(title="Kept")
    response = office_client.get(LIST, {"date_from": "not a date"})
    assert response.status_code == 200
    assert titles(response) == ["Kept"]
    assert 'class="field has-error"' in response.content.decode()


def test_it_says_beside_the_end_date_that_it_is_before_the_start(office_client):
    make_meeting(title="On the 10th", meeting_start=at("2031-05-10 09:00"))
    response = office_client.get(LIST, {"date_from": "2031-05-12", "date_to": "2031-05-10"})
    page = response.content.decode()
    field = page[page.index('name="date_to"') - 400 : page.index('name="date_to"') + 400]
    assert "截止日期早于起始日期。" in field
    # The end is left out, the start kept.
    assert titles(response) == []
    assert titles(
        office_client.get(LIST, {"date_from": "2031-05-09", "date_to": "2031-05-08"})
    ) == ["On the 10th"]


def field_block(response, name):
    page = response.content.decode()
    return page[page.index(f'name="{name}"') - 400 : page.index(f'name="{name}"') + 400]


@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_it_says_beside_a_date_before_any_it_can_search_which_dates_it_can(office_client, name):
    """1 January of year 1 begins in year 0 in UTC (Asia/Shanghai is ahead of it), which the
    database cannot compare."""
    make_meeting(title="Kept")
    response = office_client.get(LIST, {"q": "", "status": "", name: "0001-01-01", "sync": ""})
    assert response.status_code == 200
    field = field_block(response, name)
    assert "请输入 0001-01-02 至 9999-12-31 之间的日期。" in field
    assert 'value="0001-01-01"' in field
    # Left out, as a date typed wrong is.
    assert titles(response) == ["Kept"]
    # The days it names are taken.
    for dates in ({"date_from": "0001-01-02", "date_to": "9999-12-31"}, {name: "0001-01-02"}):
        response = office_client.get(LIST, dates)
        assert "has-error" not in response.content.decode()
    assert titles(response) == ([] if name == "date_to" else ["Kept"])


def test_it_shows_25_meetings_a_page_and_keeps_the_filters_when_paging(office_client):
    for day in range(30):
        make_meeting(title=f"Weekly {day:02d}", meeting_start=local_unix(days_ahead=day + 1))
    make_meeting(title="Other")
    first = office_client.get(LIST, {"q": "weekly"})
    assert len(titles(first)) == 25
    assert 'href="?q=weekly&amp;page=2"' in first.content.decode()
    second = office_client.get(LIST, {"q": "weekly", "page": 2})
    assert titles(second) == [f"Weekly {day:02d}" for day in range(25, 30)]


def test_it_runs_as_many_queries_for_30_meetings_as_for_5(office_client):
    def queries_for_the_list():
        with CaptureQueriesContext(connection) as queries:
            assert office_client.get(LIST).status_code == 200
        return len(queries)

    for day in range(5):
        make_meeting(meeting_start=local_unix(days_ahead=day + 1), invitees=["lisi", "wangwu"])
    few = queries_for_the_list()
    for day in range(25):
        make_meeting(meeting_start=local_unix(days_ahead=day + 1), invitees=["lisi", "wangwu"])
    assert queries_for_the_list() == few


def test_it_says_when_nothing_matches(office_client):
    make_meeting(title="Only one")
    response = office_client.get(LIST, {"q": "zzz"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "No meeting matches." in response.content.decode()


@pytest.mark.django_db
def test_it_lists_only_the_meetings_wecom_does_not_have_yet(office_client):
    synced = make_meeting(title="已同步的会议")
    failed = make_meeting(title="失败的会议")
    pending = make_meeting(title="等待中的会议")
    Meeting.objects.filter(pk=synced.pk).update(sync_state=SyncState.SYNCED)
    Meeting.objects.filter(pk=failed.pk).update(sync_state=SyncState.FAILED)
    Meeting.objects.filter(pk=pending.pk).update(sync_state=SyncState.PENDING)

    page = office_client.get("/", {"sync": "unsynced"}).content.decode()
    assert "失败的会议" in page and "等待中的会议" in page
    assert "已同步的会议" not in page
    only_failed = office_client.get("/", {"sync": "failed"}).content.decode()
    assert "失败的会议" in only_failed and "等待中的会议" not in only_failed


def test_it_finds_meetings_by_a_persons_name_or_department_from_the_directory(office_client):
    from meetings.models import Person

    Person.objects.create(userid="lisi", name="李四", department="财务部", source="csv")
    Person.objects.create(userid="wangwu", name="王五", department="研发部", source="csv")
    make_meeting(title="预算评审", invitees=["zhangsan", "lisi"])
    make_meeting(title="站会", invitees=["zhangsan", "wangwu"])
    assert titles(office_client.get(LIST, {"q": "李四"})) == ["预算评审"]
    assert titles(office_client.get(LIST, {"q": "研发"})) == ["站会"]
    assert titles(office_client.get(LIST, {"q": "LISI"})) == ["预算评审"]


def test_several_words_find_the_meetings_that_match_each(office_client):
    from meetings.models import Person

    Person.objects.create(userid="lisi", name="李四", department="财务部", source="csv")
    make_meeting(title="客户需求评审会", invitees=["zhangsan", "lisi"])
    make_meeting(title="客户拜访", invitees=["zhangsan"])
    make_meeting(title="季度评审", invitees=["zhangsan", "lisi"])
    assert titles(office_client.get(LIST, {"q": "客户 评审"})) == ["客户需求评审会"]
    assert titles(office_client.get(LIST, {"q": "评审  李四"})) == ["客户需求评审会", "季度评审"]
    assert titles(office_client.get(LIST, {"q": "客户 周会"})) == []


def test_it_finds_a_meeting_by_its_code_typed_with_or_without_spaces(office_client):
    meeting = make_meeting(title="季度会")
    Meeting.objects.filter(pk=meeting.pk).update(meeting_code="123456789")
    make_meeting(title="别的会")
    for typed in ("123456789", "123 456 789", "123-456-789"):
        assert titles(office_client.get(LIST, {"q": typed})) == ["季度会"]


def test_it_finds_any_part_of_a_title_also_after_the_title_changed(office_client):
    meeting = make_meeting(title="第三季度产品路线评审")
    make_meeting(title="周例会")
    assert titles(office_client.get(LIST, {"q": "产品路线"})) == ["第三季度产品路线评审"]
    assert titles(office_client.get(LIST, {"q": "路线"})) == ["第三季度产品路线评审"]
    Meeting.objects.filter(pk=meeting.pk).update(title="年度预算会")
    assert titles(office_client.get(LIST, {"q": "产品路线"})) == []
    assert titles(office_client.get(LIST, {"q": "年度预算"})) == ["年度预算会"]
    assert titles(office_client.get(LIST, {"q": "例会"})) == ["周例会"]


def test_it_starts_today_and_shows_past_meetings_newest_first_on_request(office_client):
    make_meeting(title="Last month", meeting_start=local_unix(days_ahead=-30))
    make_meeting(title="Yesterday", meeting_start=local_unix(days_ahead=-1))
    make_meeting(title="Next week", meeting_start=local_unix(days_ahead=7))
    make_meeting(title="Tomorrow", meeting_start=local_unix(days_ahead=1))
    assert titles(office_client.get(LIST)) == ["Tomorrow", "Next week"]
    assert titles(office_client.get(LIST, {"past": "on"})) == [
        "Next week",
        "Tomorrow",
        "Yesterday",
        "Last month",
    ]


def test_a_series_is_found_on_the_day_of_any_of_its_occurrences_and_marked(office_client):
    first = at("2031-05-05 10:00")
    series = make_meeting(
        title="Weekly sync",
        meeting_start=first,
        reminders={
            "is_repeat": 1,
            "repeat_type": 1,
            "repeat_until_type": 1,
            "repeat_until_count": 3,
        },
    )
    week = 7 * 86400
    Meeting.objects.filter(pk=series.pk).update(
        sub_meetings=[
            {
                "sub_meetingid": str(first + n * week),
                "start": first + n * week,
                "end": first + n * week + 3600,
                "status": 1,
            }
            for n in range(3)
        ]
    )
    make_meeting(title="One-off", meeting_start=at("2031-05-19 15:00"))
    third = office_client.get(
        LIST, {"date_from": "2031-05-19", "date_to": "2031-05-19"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert titles(third) == ["Weekly sync", "One-off"]
    assert '<span class="badge recurring"' in third.content.decode()
    between = office_client.get(LIST, {"date_from": "2031-05-13", "date_to": "2031-05-18"})
    assert titles(between) == []


def test_a_search_runs_as_many_queries_for_30_meetings_as_for_5(office_client):
    from meetings.models import Person

    Person.objects.create(userid="lisi", name="李四", source="csv")

    def queries_for_a_search():
        with CaptureQueriesContext(connection) as queries:
            assert office_client.get(LIST, {"q": "李四"}).status_code == 200
        return len(queries)

    for day in range(5):
        make_meeting(meeting_start=local_unix(days_ahead=day + 1), invitees=["lisi"])
    few = queries_for_a_search()
    for day in range(25):
        make_meeting(
            meeting_start=local_unix(days_ahead=day + 1),
            invitees=["lisi"],
            reminders={"is_repeat": 1, "repeat_type": 0},
        )
    assert queries_for_a_search() == few


def test_with_only_past_meetings_it_says_so_and_offers_them(office_client):
    make_meeting(title="Last week", meeting_start=local_unix(days_ahead=-7))
    response = office_client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert titles(response) == []
    assert "No meetings from today on." in page
    assert 'href="?past=on"' in page
    assert titles(office_client.get(LIST, {"past": "on"})) == ["Last week"]
