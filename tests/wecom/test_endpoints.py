"""The endpoint methods round-trip through the sandbox with the bodies WeCom documents."""

import pytest

from wecom import client as client_module
from wecom.errors import PermanentError

pytestmark = pytest.mark.django_db(transaction=True)

DAY = 86400


def new_meeting(sandbox, **fields):
    return {
        "admin_userid": "zhangsan",
        "title": "项目周会",
        "meeting_start": sandbox.now() + 3600,
        "meeting_duration": 1800,
        "invitees": {"userid": ["zhangsan", "lisi"]},
        **fields,
    }


def test_it_creates_reads_updates_and_cancels_a_meeting(sandbox, wecom):
    created = wecom.meeting_create(new_meeting(sandbox))
    meetingid = created["meetingid"]

    info = wecom.meeting_get_info(meetingid)
    assert info["title"] == "项目周会"
    assert info["status"] == 1

    answer = wecom.meeting_update(
        {"meetingid": meetingid, "title": "项目月会", "settings": {"password": "1234"}}
    )
    assert answer["errcode"] == 0
    info = wecom.meeting_get_info(meetingid)
    assert info["title"] == "项目月会"

    wecom.meeting_cancel(meetingid)
    assert wecom.meeting_get_info(meetingid)["status"] == 4
    with pytest.raises(PermanentError) as caught:
        wecom.meeting_update({"meetingid": meetingid, "title": "又改了"})
    assert caught.value.errcode == 400041
    assert sandbox.requests("meeting/cancel")[0]["body"] == {"meetingid": meetingid}


def test_it_reads_a_meeting_by_its_number(sandbox, wecom):
    meetingid = sandbox.create_meeting()
    code = sandbox.meeting(meetingid)["meeting_code"]
    # 98149: meetingid or meeting_code; an unknown code answers 730004 (90313).
    assert wecom.meeting_get_info(meeting_code=code)["meetingid"] == meetingid
    assert sandbox.requests("meeting/get_info")[-1]["body"] == {"meeting_code": code}
    with pytest.raises(PermanentError) as caught:
        wecom.meeting_get_info(meeting_code="100000000")
    assert (caught.value.errcode, caught.value.field) == (730004, "meeting_code")
    with pytest.raises(ValueError):
        wecom.meeting_get_info()


def test_it_walks_user_meetingids_in_windows_of_180_days(sandbox, wecom, monkeypatch):
    monkeypatch.setattr(client_module, "USER_MEETINGID_LIMIT", 2)
    begin = sandbox.now()
    offsets = [3600, 7200, 100 * DAY, 250 * DAY, 390 * DAY]
    meetingids = [
        wecom.meeting_create(new_meeting(sandbox, meeting_start=begin + offset))["meetingid"]
        for offset in offsets
    ]
    wecom.meeting_create(
        new_meeting(sandbox, title="别人的会", invitees={"userid": ["zhangsan", "wangwu"]})
    )
    # Once past, a meeting is listed only in the window it fell in.
    sandbox.advance(400 * DAY)
    sandbox.clear_requests()

    found = list(wecom.meeting_iter_user_meetingids("lisi", begin, begin + 400 * DAY))

    assert sorted(found) == sorted(meetingids)
    pages = [call["body"] for call in sandbox.requests("meeting/get_user_meetingid")]
    assert all(page["end_time"] - page["begin_time"] <= 180 * DAY for page in pages)
    assert {page["begin_time"] for page in pages} == {begin, begin + 180 * DAY, begin + 360 * DAY}
    assert pages[-1]["end_time"] == begin + 400 * DAY
    assert any(page["cursor"] != "0" for page in pages)
    assert all(page["limit"] == 2 for page in pages)


def test_it_lists_a_future_meeting_once_although_every_window_shows_it(sandbox, wecom):
    begin = sandbox.now()
    meetingid = wecom.meeting_create(new_meeting(sandbox))["meetingid"]

    found = list(wecom.meeting_iter_user_meetingids("lisi", begin - 400 * DAY, begin + DAY))

    assert found == [meetingid]


def test_it_reads_one_page_of_user_meetingids(sandbox, wecom):
    meetingid = wecom.meeting_create(new_meeting(sandbox))["meetingid"]

    page = wecom.meeting_get_user_meetingid(
        "lisi", begin_time=sandbox.now(), end_time=sandbox.now() + DAY
    )

    assert page["meetingid_list"] == [meetingid]
    assert page["next_cursor"] == ""


def test_it_sets_invitees_past_the_update_cap(sandbox, wecom):
    userids = ["zhangsan"] + [f"user{n:03}" for n in range(249)]
    sandbox.set_users(userids)
    meetingid = wecom.meeting_create(new_meeting(sandbox, invitees={"userid": ["zhangsan"]}))[
        "meetingid"
    ]

    wecom.meeting_set_invitees(meetingid, userids)

    assert sandbox.requests("meeting/set_invitees")[0]["body"]["invitees"][:2] == [
        {"userid": "zhangsan"},
        {"userid": "user000"},
    ]
    assert sandbox.meeting(meetingid)["invitees"] == userids


def test_it_adds_reads_updates_and_deletes_a_calendar(sandbox, wecom):
    added = wecom.calendar_add({"summary": "行政日历", "color": "#3366FF"})
    cal_id = added["cal_id"]
    assert sandbox.requests("oa/calendar/add")[0]["body"]["agentid"] == sandbox.agent_id

    [calendar] = wecom.calendar_get([cal_id])
    assert calendar["summary"] == "行政日历"

    wecom.calendar_update({"cal_id": cal_id, "summary": "会议日历", "color": "#FF6633"})
    [calendar] = wecom.calendar_get([cal_id])
    assert (calendar["summary"], calendar["color"]) == ("会议日历", "#FF6633")

    wecom.calendar_delete(cal_id)
    assert wecom.calendar_get([cal_id]) == []


def test_it_puts_a_meeting_into_a_calendar_of_the_app(sandbox, wecom):
    cal_id = wecom.calendar_add({"summary": "行政日历", "color": "#3366FF"})["cal_id"]
    meetingid = wecom.meeting_create(new_meeting(sandbox))["meetingid"]

    wecom.meeting_update({"meetingid": meetingid, "cal_id": cal_id})

    assert wecom.meeting_get_info(meetingid)["cal_id"] == cal_id
    with pytest.raises(PermanentError) as caught:
        wecom.meeting_update({"meetingid": meetingid, "cal_id": "no-such-calendar"})
    assert caught.value.field == "cal_id"
