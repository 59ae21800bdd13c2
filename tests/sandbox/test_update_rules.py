"""Every rule of meeting/update, each broken once and each valid shape accepted: the
contract of https://developer.work.weixin.qq.com/document/path/98154 (summed up in
docs/wecom.md), errcodes from 90313, field shapes as in SKIT's
CgibinMeetingUpdateRequest and silenceper/wechat's work/meeting Settings and Reminders."""

import pytest

from .helpers import OTHERS, Later, resolve

ELEVEN = OTHERS[:11]
TEN = OTHERS[:10]

# (what is wrong, the update body besides meetingid, the errcode WeCom answers)
REJECTED = [
    ("title empty", {"title": ""}, 400042),
    ("title 256 characters", {"title": "议" * 256}, 400042),
    ("title a number", {"title": 123}, 40058),
    ("start without duration", {"meeting_start": Later(7200)}, 400223),
    ("duration without start", {"meeting_duration": 3600}, 400223),
    ("start in the past", {"meeting_start": Later(-60), "meeting_duration": 3600}, 400222),
    ("start now", {"meeting_start": Later(0), "meeting_duration": 3600}, 400222),
    ("duration 299", {"meeting_start": Later(7200), "meeting_duration": 299}, 400035),
    ("duration 86400", {"meeting_start": Later(7200), "meeting_duration": 86400}, 400035),
    ("start a string", {"meeting_start": "1900000000", "meeting_duration": 3600}, 40058),
    ("duration a float", {"meeting_start": Later(7200), "meeting_duration": 3600.0}, 40058),
    ("start a boolean", {"meeting_start": True, "meeting_duration": 3600}, 40058),
    ("description 501 characters", {"description": "x" * 501}, 40058),
    # 98154: 18 Chinese characters or 36 letters; 90313 answers 400237 beyond.
    ("location 19 CJK", {"location": "广" * 19}, 400237),
    ("location 37 letters", {"location": "a" * 37}, 400237),
    ("location 17 CJK and 3 letters", {"location": "广" * 17 + "abc"}, 400237),
    ("cal_id 65 bytes", {"cal_id": "c" * 65}, 40058),
    ("cal_id unknown", {"cal_id": "wcNotCreatedHere"}, 400036),
    ("invitees a list", {"invitees": ["lisi"]}, 40058),
    ("invitee not a userid", {"invitees": {"userid": ["li si!"]}}, 40003),
    ("invitee too long", {"invitees": {"userid": ["a" * 65]}}, 40003),
    ("invitee unknown", {"invitees": {"userid": ["nobody"]}}, 60111),
    ("settings a list", {"settings": []}, 40058),
    ("password 3 digits", {"settings": {"password": "123"}}, 400030),
    ("password 7 digits", {"settings": {"password": "1234567"}}, 400030),
    ("password with a letter", {"settings": {"password": "12a4"}}, 400030),
    ("password in other digits", {"settings": {"password": "١٢٣٤"}}, 400030),
    ("password a number", {"settings": {"password": 1234}}, 40058),
    ("host_key 5 digits", {"settings": {"host_key": "12345"}}, 400031),
    ("host_key letters", {"settings": {"host_key": "abcdef"}}, 400031),
    ("enable_enter_mute 3", {"settings": {"enable_enter_mute": 3}}, 400031),
    ("watermark_type 2", {"settings": {"watermark_type": 2}}, 400031),
    ("auto_record_type disk", {"settings": {"auto_record_type": "disk"}}, 400031),
    ("a flag as 1", {"settings": {"enable_waiting_room": 1}}, 40058),
    ("a flag as a string", {"settings": {"allow_external_user": "false"}}, 40058),
    ("unmute off alone", {"settings": {"allow_unmute_self": False}}, 400031),
    (
        "unmute off, mute_all false",
        {"settings": {"allow_unmute_self": False, "mute_all": False}},
        400031,
    ),
    (
        "11 hosts",
        {"invitees": {"userid": ELEVEN}, "settings": {"hosts": {"userid": ELEVEN}}},
        400027,
    ),
    ("host not invitee", {"settings": {"hosts": {"userid": ["zhaoliu"]}}}, 400029),
    ("host unknown", {"settings": {"hosts": {"userid": ["nobody"]}}}, 60111),
    ("remind_scope 0", {"settings": {"remind_scope": 0}}, 400025),
    ("remind_scope 5", {"settings": {"remind_scope": 5}}, 400025),
    ("ring user not invitee", {"settings": {"ring_users": {"userid": ["zhaoliu"]}}}, 400037),
    ("ring user not a userid", {"settings": {"ring_users": {"userid": ["#"]}}}, 40003),
    ("is_repeat 2", {"reminders": {"is_repeat": 2}}, 400026),
    ("repeat_type 3", {"reminders": {"is_repeat": 1, "repeat_type": 3}}, 400026),
    (
        "custom workday repeat",
        {
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 7,
                "is_custom_repeat": 1,
                "repeat_interval": 1,
            }
        },
        400227,
    ),
    ("is_custom_repeat 2", {"reminders": {"is_repeat": 1, "is_custom_repeat": 2}}, 400227),
    (
        "custom repeat without interval",
        {"reminders": {"is_repeat": 1, "repeat_type": 0, "is_custom_repeat": 1}},
        400033,
    ),
    (
        "custom repeat interval 0",
        {"reminders": {"is_repeat": 1, "is_custom_repeat": 1, "repeat_interval": 0}},
        400033,
    ),
    (
        "custom weekly day 8",
        {
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 1,
                "is_custom_repeat": 1,
                "repeat_interval": 1,
                "repeat_day_of_week": [1, 8],
            }
        },
        40058,
    ),
    (
        "custom weekly day 0",
        {
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 1,
                "is_custom_repeat": 1,
                "repeat_interval": 1,
                "repeat_day_of_week": [0],
            }
        },
        40058,
    ),
    (
        "custom monthly day 32",
        {
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 2,
                "is_custom_repeat": 1,
                "repeat_interval": 1,
                "repeat_day_of_month": [32],
            }
        },
        40058,
    ),
    ("day list of strings", {"reminders": {"repeat_day_of_week": ["3"]}}, 40058),
    ("repeat_until_type 2", {"reminders": {"is_repeat": 1, "repeat_until_type": 2}}, 400032),
    (
        "repeat_until before the start",
        {"reminders": {"is_repeat": 1, "repeat_until_type": 0, "repeat_until": Later(1800)}},
        400032,
    ),
    # 98154: 200 occurrences at most (monthly 50); 90313: 400228 for a count outside that.
    (
        "repeat_until_count 0",
        {"reminders": {"is_repeat": 1, "repeat_until_type": 1, "repeat_until_count": 0}},
        400228,
    ),
    (
        "repeat_until_count 201 daily",
        {
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 0,
                "repeat_until_type": 1,
                "repeat_until_count": 201,
            }
        },
        400228,
    ),
    (
        "repeat_until_count 51 monthly",
        {
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 2,
                "repeat_until_type": 1,
                "repeat_until_count": 51,
            }
        },
        400228,
    ),
    ("remind_before a string", {"reminders": {"remind_before": "900"}}, 40058),
    ("reminders a string", {"reminders": "daily"}, 40058),
]

# (what is valid, the update body besides meetingid)
ACCEPTED = [
    ("title 255 characters", {"title": "议" * 255}),
    ("title 1 character", {"title": "会"}),
    ("duration 300", {"meeting_start": Later(7200), "meeting_duration": 300}),
    ("duration 86399", {"meeting_start": Later(7200), "meeting_duration": 86399}),
    ("description 500 characters", {"description": "述" * 500}),
    ("location 18 CJK", {"location": "广" * 18}),
    ("location 36 letters", {"location": "a" * 36}),
    ("location 17 CJK and 2 letters", {"location": "广" * 17 + "ab"}),
    ("empty texts", {"description": "", "location": "", "cal_id": ""}),
    ("invitees at the cap", {"invitees": {"userid": OTHERS}}),
    ("password 4 digits", {"settings": {"password": "1234"}}),
    ("password 6 digits", {"settings": {"password": "123456"}}),
    ("password removed", {"settings": {"password": ""}}),
    ("host_key 6 digits", {"settings": {"enable_host_key": True, "host_key": "012345"}}),
    ("enable_enter_mute 2", {"settings": {"enable_enter_mute": 2}}),
    ("auto_record_type cloud", {"settings": {"auto_record_type": "cloud"}}),
    ("auto_record_type local", {"settings": {"auto_record_type": "local"}}),
    ("remind_scope 1", {"settings": {"remind_scope": 1}}),
    ("remind_scope 4 nobody rings", {"settings": {"remind_scope": 4, "ring_users": {}}}),
    ("unmute off, mute_all on", {"settings": {"allow_unmute_self": False, "mute_all": True}}),
    (
        "10 hosts and the admin",
        {
            "invitees": {"userid": TEN},
            "settings": {"hosts": {"userid": ["zhangsan", *TEN]}},
        },
    ),
    ("ring the admin", {"settings": {"remind_scope": 4, "ring_users": {"userid": ["zhangsan"]}}}),
    (
        "daily, 200 times",
        {
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 0,
                "repeat_until_type": 1,
                "repeat_until_count": 200,
            }
        },
    ),
    (
        "monthly, 50 times",
        {
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 2,
                "repeat_until_type": 1,
                "repeat_until_count": 50,
            }
        },
    ),
    (
        "workdays until a date",
        {
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 7,
                "repeat_until_type": 0,
                "repeat_until": Later(86400 * 9),
            }
        },
    ),
    (
        "every 3 months on the 1st",
        {
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 2,
                "is_custom_repeat": 1,
                "repeat_interval": 3,
                "repeat_day_of_month": [1],
            }
        },
    ),
    ("a repeat switched off", {"reminders": {"is_repeat": 0, "repeat_type": 1}}),
    ("unknown fields", {"settings": {"enable_interpreter": True}, "reminders": {"x": 1}}),
]


@pytest.mark.parametrize(
    ("body", "errcode"), [pytest.param(body, code, id=name) for name, body, code in REJECTED]
)
def test_it_rejects_an_update_that_breaks_a_rule(sandbox, meeting, body, errcode):
    before = sandbox.meeting(meeting)
    answer = sandbox.call("meeting/update", {"meetingid": meeting, **resolve(body, sandbox.now())})
    assert answer["errcode"] == errcode, answer
    assert isinstance(answer["errmsg"], str) and answer["errmsg"] != "ok"
    assert sandbox.meeting(meeting) == before


@pytest.mark.parametrize("body", [pytest.param(body, id=name) for name, body in ACCEPTED])
def test_it_accepts_a_valid_update(sandbox, meeting, body):
    answer = sandbox.call("meeting/update", {"meetingid": meeting, **resolve(body, sandbox.now())})
    assert answer == {"errcode": 0, "errmsg": "ok"}


def test_it_caps_invitees_at_the_configured_number(sandbox, meeting):
    sandbox.configure(invitee_cap=2)
    too_many = {"meetingid": meeting, "invitees": {"userid": ["lisi", "wangwu", "zhaoliu"]}}
    assert sandbox.call("meeting/update", too_many)["errcode"] == 400020
    enough = {"meetingid": meeting, "invitees": {"userid": ["lisi", "wangwu"]}}
    assert sandbox.call("meeting/update", enough)["errcode"] == 0


def test_it_accepts_the_update_page_example_made_valid(sandbox, meeting, info):
    cal_id = sandbox.add_calendar()
    start = sandbox.now() + 86400
    body = {
        "meetingid": meeting,
        "title": "新建会议",
        "meeting_start": start,
        "meeting_duration": 3600,
        "description": "新建会议描述",
        "location": "广州媒体港",
        "invitees": {"userid": ["lisi", "wangwu"]},
        "settings": {
            "password": "1234",
            "enable_waiting_room": False,
            "allow_enter_before_host": True,
            "enable_enter_mute": 1,
            "allow_unmute_self": True,
            "mute_all": False,
            "allow_external_user": False,
            "enable_screen_watermark": False,
            "watermark_type": 1,
            "auto_record_type": "none",
            "attendee_join_auto_record": False,
            "enable_host_pause_auto_record": False,
            "enable_enroll": True,
            "enable_host_key": True,
            "host_key": "123456",
            "hosts": {"userid": ["lisi", "wangwu"]},
            "remind_scope": 4,
            "ring_users": {"userid": ["zhangsan", "lisi"]},
        },
        "cal_id": cal_id,
        "reminders": {
            "is_repeat": 1,
            "repeat_type": 0,
            "is_custom_repeat": 1,
            "repeat_until_type": 1,
            "repeat_until_count": 10,
            "repeat_until": 1606976813,
            "repeat_interval": 1,
            "repeat_day_of_week": [3, 7],
            "repeat_day_of_month": [10, 21],
            "remind_before": [0, 900],
        },
    }
    assert sandbox.call("meeting/update", body) == {"errcode": 0, "errmsg": "ok"}
    stored = info(meeting)
    assert stored["title"] == "新建会议"
    assert stored["meeting_start"] == start
    assert stored["cal_id"] == cal_id
    assert stored["settings"]["hosts"] == {"userid": ["lisi", "wangwu"]}
    assert stored["settings"]["need_password"] is True
    assert len(stored["sub_meetings"]) == 10


def test_it_changes_only_the_fields_an_update_sends(sandbox, meeting):
    before = sandbox.meeting(meeting)
    assert sandbox.call("meeting/update", {"meetingid": meeting, "title": "改名"})["errcode"] == 0
    after = sandbox.meeting(meeting)
    assert after["title"] == "改名"
    changed = {k for k in after if after[k] != before[k]}
    assert changed - {"updated_at"} == {"title"}


def test_it_merges_a_partial_settings_or_reminders_object_into_the_stored_one(sandbox, meeting):
    first = {
        "meetingid": meeting,
        "settings": {"password": "2468", "remind_scope": 3},
        "reminders": {"remind_before": [900]},
    }
    assert sandbox.call("meeting/update", first)["errcode"] == 0
    second = {
        "meetingid": meeting,
        "settings": {"remind_scope": 1},
        "reminders": {"is_repeat": 1, "repeat_type": 0},
    }
    assert sandbox.call("meeting/update", second)["errcode"] == 0
    stored = sandbox.meeting(meeting)
    assert stored["settings"] == {"password": "2468", "remind_scope": 1}
    assert stored["reminders"] == {"remind_before": [900], "is_repeat": 1, "repeat_type": 0}


def test_it_accepts_fields_that_only_take_effect_under_a_condition(sandbox, meeting):
    body = {
        "meetingid": meeting,
        "settings": {
            "mute_all": True,
            "watermark_type": 1,
            "enable_screen_watermark": False,
            "auto_record_type": "local",
            "attendee_join_auto_record": True,
            "enable_host_pause_auto_record": False,
        },
        "reminders": {
            "is_repeat": 1,
            "repeat_type": 0,
            "repeat_interval": 0,
            "repeat_day_of_week": [9],
            "repeat_day_of_month": [40],
        },
    }
    assert sandbox.call("meeting/update", body)["errcode"] == 0
    stored = sandbox.meeting(meeting)
    assert stored["settings"]["mute_all"] is True
    assert stored["settings"]["attendee_join_auto_record"] is True
    assert stored["reminders"]["repeat_day_of_week"] == [9]


def test_it_treats_unsupported_remind_before_values_as_zero(sandbox, meeting):
    body = {"meetingid": meeting, "reminders": {"remind_before": [86400, 100, 900, 7]}}
    assert sandbox.call("meeting/update", body)["errcode"] == 0
    assert sandbox.meeting(meeting)["reminders"]["remind_before"] == [0, 900, 86400]


def test_it_adds_the_start_weekday_to_a_custom_weekly_repeat(sandbox, meeting):
    # 2030-01-07 09:00 in Shanghai is a Monday (weekday 1) and the 7th of the month.
    monday = 1893978000
    body = {
        "meetingid": meeting,
        "meeting_start": monday,
        "meeting_duration": 3600,
        "reminders": {
            "is_repeat": 1,
            "repeat_type": 1,
            "is_custom_repeat": 1,
            "repeat_interval": 2,
            "repeat_day_of_week": [5, 3],
        },
    }
    assert sandbox.call("meeting/update", body)["errcode"] == 0
    assert sandbox.meeting(meeting)["reminders"]["repeat_day_of_week"] == [1, 3, 5]


def test_it_adds_the_start_day_to_a_custom_monthly_repeat(sandbox, meeting):
    body = {
        "meetingid": meeting,
        "meeting_start": 1893978000,
        "meeting_duration": 3600,
        "reminders": {
            "is_repeat": 1,
            "repeat_type": 2,
            "is_custom_repeat": 1,
            "repeat_interval": 1,
            "repeat_day_of_month": [21],
        },
    }
    assert sandbox.call("meeting/update", body)["errcode"] == 0
    assert sandbox.meeting(meeting)["reminders"]["repeat_day_of_month"] == [7, 21]


def test_it_adds_the_new_start_weekday_when_only_the_start_moves(sandbox, meeting):
    weekly = {
        "meetingid": meeting,
        "meeting_start": 1893978000,
        "meeting_duration": 3600,
        "reminders": {
            "is_repeat": 1,
            "repeat_type": 1,
            "is_custom_repeat": 1,
            "repeat_interval": 1,
        },
    }
    assert sandbox.call("meeting/update", weekly)["errcode"] == 0
    wednesday = 1893978000 + 2 * 86400
    moved = {"meetingid": meeting, "meeting_start": wednesday, "meeting_duration": 3600}
    assert sandbox.call("meeting/update", moved)["errcode"] == 0
    assert sandbox.meeting(meeting)["reminders"]["repeat_day_of_week"] == [1, 3]


@pytest.mark.parametrize(
    ("repeat_type", "last_day"),
    [pytest.param(0, 199, id="daily"), pytest.param(1, 199 * 7, id="weekly")],
)
def test_it_clamps_repeat_until_to_the_last_allowed_occurrence(
    sandbox, meeting, repeat_type, last_day
):
    start = sandbox.meeting(meeting)["meeting_start"]
    body = {
        "meetingid": meeting,
        "reminders": {
            "is_repeat": 1,
            "repeat_type": repeat_type,
            "repeat_until_type": 0,
            "repeat_until": start + 86400 * 3000,
        },
    }
    assert sandbox.call("meeting/update", body)["errcode"] == 0
    assert sandbox.meeting(meeting)["reminders"]["repeat_until"] == start + 86400 * last_day


def test_it_clamps_a_monthly_series_at_50(sandbox, info):
    # 2030-01-07 09:00 in Shanghai; the 50th monthly meeting is on 2034-02-07.
    meetingid = sandbox.create_meeting(
        meeting_start=1893978000,
        reminders={"is_repeat": 1, "repeat_type": 2, "repeat_until": 2100000000},
    )
    assert sandbox.meeting(meetingid)["reminders"]["repeat_until"] == 2022886800
    assert len(info(meetingid)["sub_meetings"]) == 50


def test_it_filters_the_admin_out_of_hosts(sandbox, meeting):
    body = {"meetingid": meeting, "settings": {"hosts": {"userid": ["zhangsan", "lisi"]}}}
    assert sandbox.call("meeting/update", body)["errcode"] == 0
    assert sandbox.meeting(meeting)["settings"]["hosts"] == {"userid": ["lisi"]}


def test_it_assigns_a_host_key_when_enabled_without_one(sandbox, meeting):
    body = {"meetingid": meeting, "settings": {"enable_host_key": True}}
    assert sandbox.call("meeting/update", body)["errcode"] == 0
    host_key = sandbox.meeting(meeting)["settings"]["host_key"]
    assert len(host_key) == 6 and host_key.isdigit()


def test_it_keeps_the_admin_among_the_invitees(sandbox, meeting):
    body = {"meetingid": meeting, "invitees": {"userid": ["sunqi"]}}
    assert sandbox.call("meeting/update", body)["errcode"] == 0
    assert sandbox.meeting(meeting)["invitees"] == ["zhangsan", "sunqi"]


def test_it_checks_hosts_and_ring_users_against_new_invitees(sandbox, meeting):
    setup = {
        "meetingid": meeting,
        "settings": {"hosts": {"userid": ["lisi"]}, "ring_users": {"userid": ["wangwu"]}},
    }
    assert sandbox.call("meeting/update", setup)["errcode"] == 0
    without_host = {"meetingid": meeting, "invitees": {"userid": ["wangwu"]}}
    assert sandbox.call("meeting/update", without_host)["errcode"] == 400029
    without_ringer = {"meetingid": meeting, "invitees": {"userid": ["lisi"]}}
    assert sandbox.call("meeting/update", without_ringer)["errcode"] == 400037


def test_it_reports_invitees_without_a_meeting_account(sandbox, meeting):
    sandbox.configure(excess_users=["wangwu", "sunqi"])
    body = {"meetingid": meeting, "invitees": {"userid": ["lisi", "wangwu", "sunqi"]}}
    answer = sandbox.call("meeting/update", body)
    assert answer["errcode"] == 0
    assert answer["excess_users"] == ["wangwu", "sunqi"]


def test_it_accepts_a_calendar_created_through_the_sandbox(sandbox, meeting):
    cal_id = sandbox.add_calendar()
    assert sandbox.call("meeting/update", {"meetingid": meeting, "cal_id": cal_id})["errcode"] == 0
    assert sandbox.meeting(meeting)["cal_id"] == cal_id


def test_it_requires_a_meetingid(sandbox):
    assert sandbox.call("meeting/update", {"title": "x"})["errcode"] == 40058
    assert sandbox.call("meeting/update", {"meetingid": 5})["errcode"] == 40058
