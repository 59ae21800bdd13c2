"""The calendar pages against the WeCom sandbox: what an administrator types reaches WeCom,
what WeCom refuses is said beside what was typed, and every write leaves its audit event."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from meetings import actions
from meetings.models import AuditEvent, Calendar
from tests.meetings.factories import make_meeting, office_client

__all__ = ["office_client"]

pytestmark = pytest.mark.django_db

NEW = reverse("meetings:calendar_new")
LIST = reverse("meetings:calendars")
REFRESH = reverse("meetings:calendar_refresh")


@pytest.fixture
def admin(office_client):
    # English pages, so that messages can be compared.
    office_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return office_client


def typed(**changes):
    return {
        "summary": "产品部日历",
        "color": "#33AA77",
        "description": "产品部的例会\n和评审",
        "admins": "zhangsan, lisi",
        "shares": "wangwu 1\nlisi 3",
        **changes,
    }


def sandbox_calendars(sandbox):
    return {c["cal_id"]: c for c in sandbox.control("GET", "calendars")["calendars"]}


def field_errors(response, name):
    page = response.content.decode()
    found = re.search(rf'<div class="field[^"]*" id="field-{name}".*?</div>', page, re.S)
    assert found, f"{name} is not on the page"
    return re.findall(r'<p class="error">(.*?)</p>', found.group(0), re.S)


def calendar_events():
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.CALENDAR).order_by("pk"))


def test_it_adds_a_calendar_in_wecom_and_offers_it_to_meetings(admin, sandbox):
    response = admin.post(NEW, typed())
    assert response.status_code == 302
    assert response["Location"] == LIST

    (calendar,) = Calendar.objects.all()
    stored = sandbox_calendars(sandbox)[calendar.cal_id]
    assert stored["summary"] == "产品部日历"
    assert stored["color"] == "#33AA77"
    assert stored["description"] == "产品部的例会\n和评审"
    assert stored["admins"] == ["zhangsan", "lisi"]
    assert stored["shares"] == [
        {"userid": "wangwu", "permission": 1}, {"userid": "lisi", "permission": 3}
    ]

    listed = admin.get(LIST).content.decode()
    assert "产品部日历" in listed and "#33AA77" in listed and "wangwu" in listed

    meeting = make_meeting()
    form = admin.get(reverse("meetings:edit", args=[meeting.meetingid])).content.decode()
    assert re.search(rf'<option value="{calendar.cal_id}"[^>]*>产品部日历</option>', form)

    (event,) = calendar_events()
    assert event.outcome == AuditEvent.Outcome.OK
    assert event.actor_username == "office"
    assert calendar.cal_id in event.detail
    assert {"field": "summary", "old": None, "new": "产品部日历"} in event.changes


def test_it_sends_the_whole_calendar_when_one_field_is_edited(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    edit = reverse("meetings:calendar_edit", args=[calendar.cal_id])
    page = admin.get(edit).content.decode()
    assert "zhangsan, lisi" in page and "wangwu 1" in page

    response = admin.post(edit, typed(description="只改说明", color="#33aa77"))
    assert response.status_code == 302

    (request,) = sandbox.requests("oa/calendar/update")
    assert request["body"]["calendar"] == {
        "cal_id": calendar.cal_id,
        "summary": "产品部日历",
        "color": "#33AA77",
        "description": "只改说明",
        "admins": ["zhangsan", "lisi"],
        "shares": [{"userid": "wangwu", "permission": 1}, {"userid": "lisi", "permission": 3}],
    }
    # Nothing the app does not manage (who may see the calendar) is wiped by the overwrite.
    assert request["body"]["skip_public_range"] == 1
    assert sandbox_calendars(sandbox)[calendar.cal_id]["description"] == "只改说明"
    assert "只改说明" in admin.get(edit).content.decode()

    edited = calendar_events()[-1]
    assert edited.changes == [{"field": "description", "old": "产品部的例会\n和评审",
                               "new": "只改说明"}]


def test_it_sends_nothing_when_nothing_changed(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    edit = reverse("meetings:calendar_edit", args=[calendar.cal_id])
    # The browser's colour control answers in lower case; that is not a change.
    response = admin.post(edit, typed(color="#33aa77"), follow=True)
    assert "Nothing changed." in response.content.decode()
    assert sandbox.requests("oa/calendar/update") == []
    assert len(calendar_events()) == 1


def test_it_refuses_a_bad_colour_and_four_admins_without_asking_wecom(admin, sandbox):
    response = admin.post(NEW, typed(color="red", admins="zhangsan lisi wangwu zhaoliu"))
    assert response.status_code == 200
    assert field_errors(response, "color") == [
        "Enter a colour as # and six hexadecimal digits, such as #0055FF."
    ]
    assert field_errors(response, "admins") == [
        "A calendar can have at most 3 administrators; there are 4."
    ]
    assert sandbox.requests("oa/calendar/add") == []
    assert not Calendar.objects.exists()
    assert calendar_events() == []


def test_it_refuses_a_share_permission_other_than_1_or_3(admin, sandbox):
    response = admin.post(NEW, typed(shares="wangwu 2", summary=""))
    assert field_errors(response, "shares") == ["Line 1: the permission must be 1 or 3."]
    assert field_errors(response, "summary") == ["This field is required."]
    assert sandbox.requests("oa/calendar/add") == []


def test_it_keeps_what_was_typed_and_says_why_when_wecom_refuses(admin, sandbox):
    sandbox.fault(path="oa/calendar/add", kind="errcode", value=400036, times=1)
    response = admin.post(NEW, typed(summary="被拒绝的日历"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="被拒绝的日历"' in page
    assert "wangwu 1\nlisi 3" in page
    assert "This app may not put meetings into that calendar." in page
    assert not Calendar.objects.exists()

    (event,) = calendar_events()
    assert event.outcome == AuditEvent.Outcome.REFUSED
    assert "400036" in event.detail

    # Sent again as it stands, it goes through.
    assert admin.post(NEW, typed(summary="被拒绝的日历")).status_code == 302
    assert Calendar.objects.get().summary == "被拒绝的日历"


def test_it_takes_in_a_change_made_in_wecom_on_refresh(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    answer = sandbox.call(
        "oa/calendar/update",
        {"calendar": {"cal_id": calendar.cal_id, "summary": "改名的日历", "color": "#000000"}},
    )
    assert answer["errcode"] == 0

    response = admin.post(REFRESH, follow=True)
    assert "Changed in WeCom: 改名的日历." in response.content.decode()
    calendar.refresh_from_db()
    assert (calendar.summary, calendar.color, calendar.admins, calendar.shares) == (
        "改名的日历", "#000000", [], []
    )
    assert sandbox.requests("oa/calendar/get")[-1]["body"] == {"cal_id_list": [calendar.cal_id]}
    assert calendar_events()[-1].detail.endswith("refreshed from WeCom")


def test_it_deletes_a_calendar_after_confirmation(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    delete = reverse("meetings:calendar_delete", args=[calendar.cal_id])
    assert "产品部日历" in admin.get(delete).content.decode()
    assert calendar.cal_id in sandbox_calendars(sandbox)

    assert admin.post(delete).status_code == 302
    assert calendar.cal_id not in sandbox_calendars(sandbox)
    assert not Calendar.objects.exists()
    assert calendar_events()[-1].detail.endswith("deleted")


def test_it_lets_an_auditor_look_but_not_write(sandbox):
    auditor = get_user_model().objects.create_user("li.audit", password="correct-horse-9")
    actions.grant_role(auditor, "auditor")
    client = Client()
    client.force_login(auditor)
    Calendar.objects.create(cal_id="wcKNOWN", summary="团队日历")
    edit = reverse("meetings:calendar_edit", args=["wcKNOWN"])
    delete = reverse("meetings:calendar_delete", args=["wcKNOWN"])

    page = client.get(LIST)
    assert page.status_code == 200
    assert "团队日历" in page.content.decode()
    assert edit not in page.content.decode()
    for url in (NEW, edit, delete):
        assert client.get(url).status_code == 403
    for url in (NEW, edit, delete, REFRESH):
        assert client.post(url, typed()).status_code == 403
    assert sandbox.requests() == []
    assert Calendar.objects.get().summary == "团队日历"


def test_it_asks_to_try_again_when_wecom_cannot_be_reached(admin, sandbox):
    sandbox.fault(path="oa/calendar/add", kind="http_status", value=502, times=1)
    response = admin.post(NEW, typed())
    assert response.status_code == 200
    page = response.content.decode()
    assert "WeCom could not be reached or is busy. Nothing was saved; try again shortly." in page
    assert 'value="产品部日历"' in page
    assert not Calendar.objects.exists()
    assert calendar_events()[-1].outcome == AuditEvent.Outcome.FAILED
