"""The agenda: a week (or a day) of occurrences, a recurring series expanded from the
occurrences WeCom listed, each linking to its meeting."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import agenda
from meetings.models import Meeting, Person
from tests.meetings.factories import make_meeting, office_client

pytestmark = pytest.mark.django_db
__all__ = ["office_client"]

AGENDA = reverse("meetings:agenda")


def unix(day, hour, minute=0):
    return int(timezone.make_aware(datetime.combine(day, time(hour, minute))).timestamp())


def monday(weeks_ahead=0):
    return agenda.week_start(timezone.localdate()) + timedelta(weeks=weeks_ahead)


def weekly_series(first_day, count, title="周例会", cancelled=()):
    """A weekly series as an import leaves it: WeCom's listed occurrences stored."""
    meeting = make_meeting(
        title=title,
        meeting_start=unix(first_day, 9),
        meeting_duration=1800,
        reminders={"is_repeat": 1, "repeat_type": 1},
    )
    subs = [
        {
            "sub_meetingid": f"sub{n}",
            "start": unix(first_day + timedelta(weeks=n), 9),
            "end": unix(first_day + timedelta(weeks=n), 9, 30),
            # get_info's own flag for an occurrence: deleted or not.
            "deleted": n in cancelled,
        }
        for n in range(count)
    ]
    Meeting.objects.filter(pk=meeting.pk).update(sub_meetings=subs)
    return meeting


def test_a_series_shows_on_the_day_of_its_third_occurrence(office_client):
    series = weekly_series(monday(-2) + timedelta(days=2), 5, cancelled={4})
    page = office_client.get(AGENDA, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # This week holds occurrence sub2 (the third), on Wednesday.
    assert f'href="{reverse("meetings:detail", args=[series.pk])}#occurrence-sub2"' in page
    assert "sub1" not in page and "sub3" not in page
    wednesday = (monday() + timedelta(days=2)).isoformat()
    day = page.split(f'id="day-{wednesday}"')[1].split("</section>")[0]
    assert "周例会" in day and "09:00–09:30" in day and "recurring" in day


def test_next_week_and_a_cancelled_occurrence(office_client):
    weekly_series(monday(-2) + timedelta(days=2), 5, cancelled={4})
    response = office_client.get(AGENDA, {"date": monday(2).isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "#occurrence-sub4" in page
    assert 'class="occurrence cancelled recurring"' in page and "Cancelled" in page
    assert f"date={monday(1).isoformat()}" in page  # previous week
    assert f"date={monday(3).isoformat()}" in page  # next week


def test_a_single_meeting_is_its_own_occurrence_and_names_its_organiser(office_client):
    Person.objects.create(userid="zhangsan", name="张三", source=Person.Source.CSV)
    meeting = make_meeting(
        title="Budget",
        meeting_start=unix(monday() + timedelta(days=4), 14),
        admin_userid="zhangsan",
    )
    make_meeting(title="Next week's", meeting_start=unix(monday(1), 14))
    page = office_client.get(AGENDA, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'href="{reverse("meetings:detail", args=[meeting.pk])}"' in page
    assert "张三" in page
    assert "Next week's" not in page
    assert "议程" in page


def test_the_day_view_shows_one_day(office_client):
    friday = monday() + timedelta(days=4)
    make_meeting(title="On Friday", meeting_start=unix(friday, 14))
    make_meeting(title="On Thursday", meeting_start=unix(friday - timedelta(days=1), 14))
    page = office_client.get(AGENDA, {"span": "day", "date": friday.isoformat()}).content.decode()
    assert "On Friday" in page and "On Thursday" not in page
    assert f"date={(friday + timedelta(days=1)).isoformat()}" in page


def test_htmx_gets_the_agenda_alone(office_client):
    page = office_client.get(AGENDA, HTTP_HX_REQUEST="true").content.decode()
    assert page.lstrip().startswith('<section id="agenda"')


def test_a_date_typed_wrong_shows_this_week(office_client):
    response = office_client.get(AGENDA, {"date": "2026-13-45"})
    assert response.status_code == 200
    assert response.context["first"] == monday()


@pytest.mark.parametrize("span", ["week", "day"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_date_at_the_calendars_ends_shows_today_as_one_typed_wrong(office_client, span, day):
    """1 January of year 1 begins in year 0 in UTC (Asia/Shanghai is ahead of it), and the
    day after 31 December 9999 has no date: neither span can be asked of the database."""
    response = office_client.get(AGENDA, {"span": span, "date": day})
    assert response.status_code == 200
    today = timezone.localdate()
    assert response.context["first"] == (monday() if span == "week" else today)


@pytest.mark.parametrize(
    ("span", "day", "shown", "hidden"),
    [
        # The first week it can show is the calendar's second; the last, its last but one.
        ("week", "0001-01-08", "0001-01-15", "prev"),
        ("week", "9999-12-20", "9999-12-13", "next"),
        ("day", "0001-01-02", "0001-01-03", "prev"),
        ("day", "9999-12-30", "9999-12-29", "next"),
    ],
)
def test_no_link_leads_past_the_first_or_last_span_it_can_show(
    office_client, span, day, shown, hidden
):
    page = office_client.get(AGENDA, {"span": span, "date": day}).content.decode()
    assert f'data-first="{day}"' in page
    assert f'rel="{hidden}"' not in page
    assert f"?span={span}&amp;date={shown}" in page


def test_the_query_count_does_not_grow_with_the_meetings(office_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            office_client.get(AGENDA)
        return len(captured)

    weekly_series(monday(-1), 4)
    few = queries()
    for n in range(6):
        weekly_series(monday(-1) + timedelta(days=n % 5), 4, title=f"S{n}")
        make_meeting(meeting_start=unix(monday() + timedelta(days=n % 5), 15))
    assert queries() == few
