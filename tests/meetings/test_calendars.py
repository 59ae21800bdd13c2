"""The calendar pages against the WeCom sandbox: what an administrator types reaches WeCom,
what WeCom refuses is said beside what was typed, and every write leaves its audit event."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from meetings.actions import account as account_actions
from meetings.models import AuditEvent, Calendar, Person
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
        "shares": "wangwu 1\nlisi 3\nzhangsan 1",
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


def loaded(page):
    """The marker of the stored calendar an edit page carries."""
    found = re.search(r'<input type="hidden" name="loaded" value="([^"]*)"', page)
    assert found, "the edit page carries no marker of what was loaded"
    return found.group(1)


def in_wecom(response, name):
    """WeCom's value shown beside a field, or None when none is shown."""
    page = response.content.decode()
    found = re.search(rf'<div class="field[^"]*" id="field-{name}".*?</div>', page, re.S)
    assert found, f"{name} is not on the page"
    shown = re.search(r'<p class="saved-elsewhere">In WeCom: (.*?)</p>', found.group(0), re.S)
    return shown.group(1) if shown else None


def wecom_calls(sandbox):
    return [r["path"] for r in sandbox.requests() if r["path"] != "gettoken"]


def changed_in_wecom(sandbox, cal_id, **calendar):
    """Overwrite the calendar as someone using WeCom would, then forget that call."""
    answer = sandbox.call("oa/calendar/update", {"calendar": {"cal_id": cal_id, **calendar}})
    assert answer["errcode"] == 0, answer
    sandbox.clear_requests()


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
        {"userid": "wangwu", "permission": 1},
        {"userid": "lisi", "permission": 3},
        {"userid": "zhangsan", "permission": 1},
    ]

    listed = admin.get(LIST).content.decode()
    assert "产品部日历" in listed and "#33AA77" in listed and "wangwu" in listed

    meeting = make_meeting()
    form = admin.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
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
    sandbox.clear_requests()

    response = admin.post(edit, typed(description="只改说明", color="#33aa77", loaded=loaded(page)))
    assert response.status_code == 302

    # WeCom is read first, to be sure the overwrite undoes nothing changed there.
    assert wecom_calls(sandbox) == ["oa/calendar/get", "oa/calendar/update"]
    (request,) = sandbox.requests("oa/calendar/update")
    assert request["body"]["calendar"] == {
        "cal_id": calendar.cal_id,
        "summary": "产品部日历",
        "color": "#33AA77",
        "description": "只改说明",
        "admins": ["zhangsan", "lisi"],
        "shares": [
            {"userid": "wangwu", "permission": 1},
            {"userid": "lisi", "permission": 3},
            {"userid": "zhangsan", "permission": 1},
        ],
    }
    # Nothing the app does not manage (who may see the calendar) is wiped by the overwrite.
    assert request["body"]["skip_public_range"] == 1
    assert sandbox_calendars(sandbox)[calendar.cal_id]["description"] == "只改说明"
    assert "只改说明" in admin.get(edit).content.decode()

    edited = calendar_events()[-1]
    assert edited.changes == [
        {"field": "description", "old": "产品部的例会\n和评审", "new": "只改说明"}
    ]


def test_it_sends_nothing_when_nothing_changed(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    edit = reverse("meetings:calendar_edit", args=[calendar.cal_id])
    # The browser's colour control answers in lower case; that is not a change.
    response = admin.post(edit, typed(color="#33aa77"), follow=True)
    assert "Nothing changed." in response.content.decode()
    assert sandbox.requests("oa/calendar/update") == []
    assert len(calendar_events()) == 1


def test_it_carries_a_marker_of_what_was_loaded_on_the_edit_form_only(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    assert 'name="loaded"' not in admin.get(NEW).content.decode()
    page = admin.get(reverse("meetings:calendar_edit", args=[calendar.cal_id])).content.decode()
    assert re.fullmatch(r"[0-9a-f]{16}", loaded(page))


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


def test_it_refuses_an_administrator_the_calendar_is_not_shared_with(admin, sandbox):
    # 93647: administrators are chosen among the shares; WeCom would refuse the calendar.
    response = admin.post(NEW, typed(admins="zhangsan, lisi, zhaoliu"))
    assert response.status_code == 200
    assert field_errors(response, "admins") == [
        "Share the calendar with every administrator first: zhaoliu."
    ]
    assert sandbox.requests("oa/calendar/add") == []
    assert not Calendar.objects.exists()


def test_it_takes_an_administrator_typed_by_name(admin, sandbox):
    Person.objects.create(userid="lisi", name="李四", source="csv")
    response = admin.post(NEW, typed(admins="zhangsan 李四"))
    assert response.status_code == 302
    (calendar,) = Calendar.objects.all()
    assert sandbox_calendars(sandbox)[calendar.cal_id]["admins"] == ["zhangsan", "lisi"]


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
        "改名的日历",
        "#000000",
        [],
        [],
    )
    assert sandbox.requests("oa/calendar/get")[-1]["body"] == {"cal_id_list": [calendar.cal_id]}
    assert calendar_events()[-1].detail.endswith("refreshed from WeCom")


def test_it_takes_a_colour_wecom_writes_in_lower_case_as_no_change_on_refresh(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    changed_in_wecom(
        sandbox,
        calendar.cal_id,
        summary="产品部日历",
        color="#33aa77",
        description="产品部的例会\n和评审",
        admins=["zhangsan", "lisi"],
        shares=[
            {"userid": "wangwu"},
            {"userid": "lisi", "permission": 3},
            {"userid": "zhangsan", "permission": 1},
        ],
    )
    events = len(calendar_events())

    response = admin.post(REFRESH, follow=True)
    assert "All calendars are as WeCom has them." in response.content.decode()
    assert len(calendar_events()) == events
    assert Calendar.objects.get().color == "#33AA77"


def test_it_deletes_a_calendar_after_confirmation(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    in_it = make_meeting(cal_id=calendar.cal_id)
    delete = reverse("meetings:calendar_delete", args=[calendar.cal_id])
    confirm = admin.get(delete).content.decode()
    assert "产品部日历" in confirm
    # Said before confirming: a meeting in it will name no calendar.
    assert "1 meeting here is in it" in confirm
    assert calendar.cal_id in sandbox_calendars(sandbox)

    assert admin.post(delete).status_code == 302
    assert calendar.cal_id not in sandbox_calendars(sandbox)
    assert not Calendar.objects.exists()
    assert calendar_events()[-1].detail.endswith("deleted")
    edit = admin.get(reverse("meetings:edit", args=[in_it.pk])).content.decode()
    assert f"{calendar.cal_id} (no calendar of this app: deleted, or never one)" in edit


def test_it_lets_an_auditor_look_but_not_write(sandbox):
    auditor = get_user_model().objects.create_user("li.audit", password="correct-horse-9")
    account_actions.grant_role(auditor, "auditor")
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
    # WeCom answers that it is busy: it added nothing, so sending again is safe.
    sandbox.fault(path="oa/calendar/add", kind="errcode", value=-1, times=1)
    response = admin.post(NEW, typed())
    assert response.status_code == 200
    page = response.content.decode()
    assert "WeCom could not be reached or is busy. Nothing was saved; try again shortly." in page
    assert 'value="产品部日历"' in page
    assert not Calendar.objects.exists()
    assert calendar_events()[-1].outcome == AuditEvent.Outcome.FAILED


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "timeout", "value": 1, "after": True},
        {"kind": "disconnect", "after": True},
        # A gateway's 5xx may come after WeCom took the call: the client cannot tell.
        {"kind": "http_status", "value": 502},
    ],
    ids=["timeout", "disconnect", "http-502"],
)
def test_it_warns_that_an_add_without_an_answer_may_have_been_made(admin, sandbox, fault):
    sandbox.fault(path="oa/calendar/add", times=1, **fault)
    response = admin.post(NEW, typed())
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "WeCom did not answer, but it may have added the calendar anyway. Sending the form "
        "again could make a second calendar: check in WeCom first whether it is there."
    ) in page
    assert "Nothing was saved; try again shortly." not in page
    assert 'value="产品部日历"' in page and "wangwu 1\nlisi 3" in page
    assert not Calendar.objects.exists()
    assert calendar_events()[-1].outcome == AuditEvent.Outcome.FAILED
    if fault.get("after"):
        # Which is exactly what happened: WeCom has it, this app has no cal_id for it.
        assert [c["summary"] for c in sandbox_calendars(sandbox).values()] == ["产品部日历"]


def test_it_shows_a_change_made_in_wecom_since_the_page_was_opened_and_writes_nothing(
    admin, sandbox
):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    edit = reverse("meetings:calendar_edit", args=[calendar.cal_id])
    marker = loaded(admin.get(edit).content.decode())
    changed_in_wecom(
        sandbox,
        calendar.cal_id,
        summary="改名的日历",
        color="#000000",
        description="产品部的例会\n和评审",
        admins=["zhangsan", "lisi"],
        # An administrator stays among the shares (93647); wangwu's share is gone.
        shares=[{"userid": "lisi", "permission": 3}, {"userid": "zhangsan", "permission": 1}],
    )
    events = len(calendar_events())

    response = admin.post(edit, typed(description="只改说明", loaded=marker))
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "This calendar was changed in WeCom after you opened this page, so nothing was saved."
    ) in page
    # What was typed is kept...
    assert 'value="产品部日历"' in page and "只改说明" in page and "wangwu 1\nlisi 3" in page
    # ...and WeCom's value is beside each field that differs from it.
    assert in_wecom(response, "summary") == "改名的日历"
    assert in_wecom(response, "color") == "#000000"
    assert in_wecom(response, "description") == "产品部的例会<br>和评审"
    assert in_wecom(response, "shares") == "lisi 3<br>zhangsan 1"
    assert in_wecom(response, "admins") is None

    assert wecom_calls(sandbox) == ["oa/calendar/get"]
    assert sandbox_calendars(sandbox)[calendar.cal_id]["summary"] == "改名的日历"
    calendar.refresh_from_db()
    assert (calendar.summary, calendar.color, calendar.shares) == (
        "改名的日历",
        "#000000",
        [{"userid": "lisi", "permission": 3}, {"userid": "zhangsan", "permission": 1}],
    )
    (refreshed,) = calendar_events()[events:]
    assert refreshed.outcome == AuditEvent.Outcome.OK
    assert refreshed.detail.endswith("refreshed from WeCom")
    assert {"field": "summary", "old": "产品部日历", "new": "改名的日历"} in refreshed.changes

    # The page now carries WeCom's state: saving again is a deliberate overwrite.
    assert loaded(page) != marker
    response = admin.post(edit, typed(description="只改说明", loaded=loaded(page)))
    assert response.status_code == 302
    assert wecom_calls(sandbox) == ["oa/calendar/get", "oa/calendar/get", "oa/calendar/update"]
    stored = sandbox_calendars(sandbox)[calendar.cal_id]
    assert (stored["summary"], stored["color"], stored["description"]) == (
        "产品部日历",
        "#33AA77",
        "只改说明",
    )
    assert stored["shares"] == [
        {"userid": "wangwu", "permission": 1},
        {"userid": "lisi", "permission": 3},
        {"userid": "zhangsan", "permission": 1},
    ]
    assert calendar_events()[-1].detail.endswith("updated")


def test_it_stops_a_form_loaded_before_another_save_here(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    edit = reverse("meetings:calendar_edit", args=[calendar.cal_id])
    marker = loaded(admin.get(edit).content.decode())
    assert admin.post(edit, typed(summary="先保存的", loaded=marker)).status_code == 302
    events = len(calendar_events())

    response = admin.post(edit, typed(description="后保存的", loaded=marker))
    assert response.status_code == 200
    assert in_wecom(response, "summary") == "先保存的"
    assert sandbox_calendars(sandbox)[calendar.cal_id]["description"] == "产品部的例会\n和评审"
    # WeCom holds what is stored already: nothing to take in, so no event.
    assert len(calendar_events()) == events


def test_it_takes_a_change_in_wecom_into_account_without_the_marker(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    edit = reverse("meetings:calendar_edit", args=[calendar.cal_id])
    changed_in_wecom(sandbox, calendar.cal_id, summary="改名的日历", color="#33AA77")

    response = admin.post(edit, typed(description="只改说明"))
    assert response.status_code == 200
    assert in_wecom(response, "summary") == "改名的日历"
    assert sandbox.requests("oa/calendar/update") == []


def test_it_keeps_what_was_typed_when_wecom_cannot_be_read(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    edit = reverse("meetings:calendar_edit", args=[calendar.cal_id])
    marker = loaded(admin.get(edit).content.decode())
    sandbox.fault(path="oa/calendar/get", kind="http_status", value=502, times=1)

    response = admin.post(edit, typed(summary="新名字", loaded=marker))
    assert response.status_code == 200
    page = response.content.decode()
    assert "WeCom could not be reached or is busy. Nothing was saved; try again shortly." in page
    assert 'value="新名字"' in page and loaded(page) == marker
    assert sandbox.requests("oa/calendar/update") == []
    assert Calendar.objects.get().summary == "产品部日历"
    assert calendar_events()[-1].outcome == AuditEvent.Outcome.FAILED

    # Once WeCom answers again, the same form goes through.
    assert admin.post(edit, typed(summary="新名字", loaded=marker)).status_code == 302
    assert sandbox_calendars(sandbox)[calendar.cal_id]["summary"] == "新名字"


def test_it_writes_nothing_when_the_calendar_is_gone_from_wecom(admin, sandbox):
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    edit = reverse("meetings:calendar_edit", args=[calendar.cal_id])
    marker = loaded(admin.get(edit).content.decode())
    assert sandbox.call("oa/calendar/del", {"cal_id": calendar.cal_id})["errcode"] == 0
    sandbox.clear_requests()

    response = admin.post(edit, typed(summary="新名字", loaded=marker))
    assert response.status_code == 200
    page = response.content.decode()
    assert "WeCom no longer gives this app this calendar; it may have been deleted there." in page
    assert 'value="新名字"' in page
    assert wecom_calls(sandbox) == ["oa/calendar/get"]
    assert Calendar.objects.get().summary == "产品部日历"
    assert calendar_events()[-1].outcome == AuditEvent.Outcome.FAILED


# --- a write whose answer was lost: what WeCom holds, read back, is what is recorded ---------

LOST_AFTER = [{"kind": "timeout", "value": 1, "after": True}, {"kind": "disconnect", "after": True}]
NOT_SAVED = "WeCom could not be reached or is busy. Nothing was saved; try again shortly."
NOT_KNOWN = (
    "WeCom did not answer and could not be read back, so it is not known whether it took the "
    "change. The calendars page shows WeCom&#x27;s values once it can be read: use Refresh from "
    "WeCom there."
)


def opened(admin):
    """A calendar added through the form, and its edit page's address and marker."""
    admin.post(NEW, typed())
    calendar = Calendar.objects.get()
    edit = reverse("meetings:calendar_edit", args=[calendar.cal_id])
    return calendar, edit, loaded(admin.get(edit).content.decode())


def fail_the_read_back(sandbox):
    """oa/calendar/get spared once (the read before the overwrite), then failing once: the
    sandbox draws whether a rate fault fires from its seed, and seed 15 draws 0.97, then 0.01."""
    sandbox.fault(path="oa/calendar/get", kind="http_status", value=502, rate=0.5, seed=15)


@pytest.mark.parametrize("fault", LOST_AFTER, ids=["timeout", "disconnect"])
def test_it_reads_an_update_without_an_answer_back_and_records_it_saved(admin, sandbox, fault):
    calendar, edit, marker = opened(admin)
    sandbox.clear_requests()
    sandbox.fault(path="oa/calendar/update", **fault)

    response = admin.post(edit, typed(summary="新名字", loaded=marker), follow=True)
    page = response.content.decode()
    assert "Calendar 新名字 saved." in page
    assert NOT_SAVED not in page
    # WeCom was read back after the lost answer: it holds the new name, so it is saved.
    assert wecom_calls(sandbox) == ["oa/calendar/get", "oa/calendar/update", "oa/calendar/get"]
    assert sandbox_calendars(sandbox)[calendar.cal_id]["summary"] == "新名字"
    assert Calendar.objects.get().summary == "新名字"
    assert "新名字" in admin.get(LIST).content.decode()
    saved = calendar_events()[-1]
    assert saved.outcome == AuditEvent.Outcome.OK
    assert saved.detail.endswith("updated")
    assert saved.changes == [{"field": "summary", "old": "产品部日历", "new": "新名字"}]

    # The next edit starts from what WeCom holds: nothing is blamed on WeCom.
    page = admin.get(edit).content.decode()
    response = admin.post(edit, typed(summary="新名字", description="再改", loaded=loaded(page)))
    assert response.status_code == 302
    assert sandbox_calendars(sandbox)[calendar.cal_id]["description"] == "再改"


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "timeout", "value": 1},
        {"kind": "disconnect"},
        # A gateway's 5xx may come after WeCom took the call: the client cannot tell.
        {"kind": "http_status", "value": 502},
    ],
    ids=["timeout", "disconnect", "http-502"],
)
def test_it_reads_an_update_without_an_answer_back_and_says_nothing_was_saved(
    admin, sandbox, fault
):
    calendar, edit, marker = opened(admin)
    sandbox.clear_requests()
    sandbox.fault(path="oa/calendar/update", **fault)

    response = admin.post(edit, typed(summary="新名字", loaded=marker))
    assert response.status_code == 200
    page = response.content.decode()
    assert NOT_SAVED in page
    assert 'value="新名字"' in page and loaded(page) == marker
    # WeCom, read back, still holds the old name: it was not taken.
    assert wecom_calls(sandbox) == ["oa/calendar/get", "oa/calendar/update", "oa/calendar/get"]
    assert sandbox_calendars(sandbox)[calendar.cal_id]["summary"] == "产品部日历"
    assert Calendar.objects.get().summary == "产品部日历"
    failed = calendar_events()[-1]
    assert failed.outcome == AuditEvent.Outcome.FAILED
    assert ": not saved: oa/calendar/update" in failed.detail

    # Sent again as it stands, it goes through.
    assert admin.post(edit, typed(summary="新名字", loaded=marker)).status_code == 302
    assert sandbox_calendars(sandbox)[calendar.cal_id]["summary"] == "新名字"


def test_it_says_it_is_not_known_when_an_update_cannot_be_read_back(admin, sandbox):
    calendar, edit, marker = opened(admin)
    sandbox.clear_requests()
    sandbox.fault(path="oa/calendar/update", kind="disconnect", after=True)
    fail_the_read_back(sandbox)

    response = admin.post(edit, typed(summary="新名字", loaded=marker))
    assert response.status_code == 200
    page = response.content.decode()
    assert NOT_KNOWN in page
    assert "Nothing was saved" not in page and "saved." not in page
    assert 'value="新名字"' in page
    assert [(r["path"], r["fault"]) for r in sandbox.requests() if r["path"] != "gettoken"] == [
        ("oa/calendar/get", None),
        ("oa/calendar/update", "disconnect"),
        ("oa/calendar/get", "http_status"),
    ]
    # WeCom took it; this app cannot tell yet, so it keeps what it last knew.
    assert sandbox_calendars(sandbox)[calendar.cal_id]["summary"] == "新名字"
    assert Calendar.objects.get().summary == "产品部日历"
    unknown = calendar_events()[-1]
    assert unknown.outcome == AuditEvent.Outcome.FAILED
    assert "not saved" not in unknown.detail
    assert ": not known whether WeCom took it: oa/calendar/update: " in unknown.detail
    assert "; read back: oa/calendar/get: HTTP 502" in unknown.detail
    assert unknown.changes == [{"field": "summary", "old": "产品部日历", "new": "新名字"}]

    # Once WeCom can be read, the calendars page shows what it holds.
    response = admin.post(REFRESH, follow=True)
    assert "Changed in WeCom: 新名字." in response.content.decode()
    assert Calendar.objects.get().summary == "新名字"


def test_it_takes_a_save_again_that_wecom_already_holds_as_saved(admin, sandbox):
    calendar, edit, marker = opened(admin)
    sandbox.fault(path="oa/calendar/update", kind="timeout", value=1, after=True)
    fail_the_read_back(sandbox)
    page = admin.post(edit, typed(summary="新名字", loaded=marker)).content.decode()
    assert NOT_KNOWN in page
    sandbox.clear_requests()

    # The same form sent again: WeCom holds it already, so it is saved without a second
    # overwrite, and the lost save is not taken for a change made in WeCom.
    response = admin.post(edit, typed(summary="新名字", loaded=loaded(page)), follow=True)
    page = response.content.decode()
    assert "Calendar 新名字 saved." in page
    assert "changed in WeCom" not in page
    assert wecom_calls(sandbox) == ["oa/calendar/get"]
    assert Calendar.objects.get().summary == "新名字"
    saved = calendar_events()[-1]
    assert saved.outcome == AuditEvent.Outcome.OK
    assert saved.detail.endswith("updated")
    assert saved.changes == [{"field": "summary", "old": "产品部日历", "new": "新名字"}]


@pytest.mark.parametrize("fault", LOST_AFTER, ids=["timeout", "disconnect"])
def test_it_reads_a_delete_without_an_answer_back_and_records_it_deleted(admin, sandbox, fault):
    calendar, _edit, _marker = opened(admin)
    delete = reverse("meetings:calendar_delete", args=[calendar.cal_id])
    sandbox.clear_requests()
    sandbox.fault(path="oa/calendar/del", **fault)

    response = admin.post(delete, follow=True)
    page = response.content.decode()
    assert "Calendar 产品部日历 deleted." in page
    assert NOT_SAVED not in page
    assert wecom_calls(sandbox) == ["oa/calendar/del", "oa/calendar/get"]
    assert calendar.cal_id not in sandbox_calendars(sandbox)
    assert not Calendar.objects.exists()
    deleted = calendar_events()[-1]
    assert deleted.outcome == AuditEvent.Outcome.OK
    assert deleted.detail.endswith("deleted")


def test_it_reads_a_delete_without_an_answer_back_and_keeps_what_wecom_still_has(admin, sandbox):
    calendar, _edit, _marker = opened(admin)
    delete = reverse("meetings:calendar_delete", args=[calendar.cal_id])
    sandbox.clear_requests()
    sandbox.fault(path="oa/calendar/del", kind="disconnect")

    response = admin.post(delete)
    assert response.status_code == 200
    assert NOT_SAVED in response.content.decode()
    assert wecom_calls(sandbox) == ["oa/calendar/del", "oa/calendar/get"]
    assert calendar.cal_id in sandbox_calendars(sandbox)
    assert Calendar.objects.exists()
    failed = calendar_events()[-1]
    assert failed.outcome == AuditEvent.Outcome.FAILED
    assert ": not saved: oa/calendar/del" in failed.detail


def test_it_says_it_is_not_known_when_a_delete_cannot_be_read_back(admin, sandbox):
    calendar, _edit, _marker = opened(admin)
    delete = reverse("meetings:calendar_delete", args=[calendar.cal_id])
    sandbox.fault(path="oa/calendar/del", kind="timeout", value=1, after=True)
    sandbox.fault(path="oa/calendar/get", kind="http_status", value=502)

    response = admin.post(delete)
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "WeCom did not answer and could not be read back, so it is not known whether it "
        "deleted the calendar. The calendars page shows whether WeCom still has it once it "
        "can be read: use Refresh from WeCom there."
    ) in page
    assert "Nothing was saved" not in page
    assert calendar.cal_id not in sandbox_calendars(sandbox)
    assert Calendar.objects.exists()
    unknown = calendar_events()[-1]
    assert unknown.outcome == AuditEvent.Outcome.FAILED
    assert ": not known whether WeCom took it: oa/calendar/del: " in unknown.detail

    page = admin.post(REFRESH, follow=True).content.decode()
    assert "WeCom no longer gives this app these calendars: 产品部日历." in page
