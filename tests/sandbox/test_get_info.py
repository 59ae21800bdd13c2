"""meeting/get_info answers in its own shape, not update's."""


def test_it_answers_in_get_info_shape(sandbox, info):
    meetingid = sandbox.create_meeting(
        settings={
            "password": "4321",
            "hosts": {"userid": ["lisi"]},
            "remind_scope": 4,
            "ring_users": {"userid": ["wangwu"]},
        },
    )
    answer = info(meetingid)
    assert answer["errmsg"] == "ok"
    assert answer["meetingid"] == meetingid
    assert answer["admin_userid"] == "zhangsan"
    assert answer["status"] == 1
    assert "invitees" not in answer
    assert answer["attendees"] == {
        "member": [
            {"userid": "zhangsan", "status": 1},
            {"userid": "lisi", "status": 1},
            {"userid": "wangwu", "status": 1},
        ]
    }
    settings = answer["settings"]
    assert settings["hosts"] == {"userid": ["lisi"]}
    assert settings["ring_users"] == {"userid": ["wangwu"]}
    assert settings["password"] == "4321"
    assert settings["need_password"] is True
    assert settings["current_hosts"] == {"userid": ["zhangsan"]}
    assert answer["meeting_code"] == sandbox.meeting(meetingid)["meeting_code"]
    assert answer["meeting_link"].startswith("https://")


def test_it_leaves_out_optional_fields_never_set(sandbox, meeting, info):
    answer = info(meeting)
    for field in ("description", "location", "cal_id", "reminders", "sub_meetings"):
        assert field not in answer
    assert answer["settings"] == {
        "need_password": False,
        "current_hosts": {"userid": ["zhangsan"]},
    }


def test_it_answers_repeat_until_as_a_numeric_string(sandbox, info):
    start = sandbox.now() + 3600
    meetingid = sandbox.create_meeting(
        meeting_start=start,
        reminders={"is_repeat": 1, "repeat_type": 0, "repeat_until": start + 4 * 86400},
    )
    reminders = info(meetingid)["reminders"]
    assert reminders["repeat_until"] == str(start + 4 * 86400)
    assert reminders["is_repeat"] == 1


def test_it_answers_the_capped_end_of_a_series_without_one(sandbox, info):
    start = sandbox.now() + 3600
    meetingid = sandbox.create_meeting(meeting_start=start, reminders={"is_repeat": 1})
    assert info(meetingid)["reminders"]["repeat_until"] == str(start + 199 * 86400)


def test_it_lists_the_occurrences_of_a_recurring_meeting(sandbox, info):
    start = sandbox.now() + 3600
    meetingid = sandbox.create_meeting(
        meeting_start=start,
        meeting_duration=1800,
        reminders={"is_repeat": 1, "repeat_type": 1, "repeat_until_type": 1,
                   "repeat_until_count": 4},
    )
    answer = info(meetingid)
    assert answer["sub_meetings"] == [
        {
            "sub_meetingid": str(start + week * 7 * 86400),
            "start_time": start + week * 7 * 86400,
            "end_time": start + week * 7 * 86400 + 1800,
            # The occurrence's own flag: 0 exists (page 93708), not the meeting status.
            "status": 0,
        }
        for week in range(4)
    ]
    assert answer["has_more_sub_meeting"] == 0
    assert answer["remain_sub_meetings"] == 4
    assert answer["current_sub_meetingid"] == str(start)

    sandbox.set_now(start + 7 * 86400 + 60)
    answer = info(meetingid)
    # Running or over shows in the times, not in the flag: every occurrence still exists.
    assert [sub["status"] for sub in answer["sub_meetings"]] == [0, 0, 0, 0]
    assert answer["current_sub_meetingid"] == str(start + 7 * 86400)
    assert answer["remain_sub_meetings"] == 3


def test_it_answers_one_occurrence_when_asked_by_sub_meetingid(sandbox, info):
    start = sandbox.now() + 3600
    meetingid = sandbox.create_meeting(
        meeting_start=start,
        reminders={"is_repeat": 1, "repeat_type": 0, "repeat_until_type": 1,
                   "repeat_until_count": 3},
    )
    third = str(start + 2 * 86400)
    assert info(meetingid, sub_meetingid=third)["meeting_start"] == start + 2 * 86400
    answer = sandbox.call("meeting/get_info", {"meetingid": meetingid, "sub_meetingid": "1"})
    assert answer["errcode"] == 40058


def test_it_finds_a_meeting_by_its_code(sandbox, meeting):
    code = sandbox.meeting(meeting)["meeting_code"]
    answer = sandbox.call("meeting/get_info", {"meeting_code": code})
    assert answer["meetingid"] == meeting
    assert sandbox.call("meeting/get_info", {"meeting_code": "000"})["errcode"] == 730011


def test_it_shows_a_change_made_directly_in_wecom(sandbox, meeting, info):
    sandbox.patch_meeting(meeting, title="客户端里改的", description="直接修改")
    answer = info(meeting)
    assert answer["title"] == "客户端里改的"
    assert answer["description"] == "直接修改"
