"""meeting/get_user_meetingid (https://developer.work.weixin.qq.com/document/path/98714),
meeting/set_invitees (98162) and meeting/get_invitees (98160); request and answer shapes as in
SKIT's CgibinMeetingSetInviteesRequest / GetInviteesResponse samples and silenceper/wechat's
GetUserMeetingID*."""

import pytest

DAY = 86400


def meetingids(sandbox, userid, **extra):
    answer = sandbox.call("meeting/get_user_meetingid", {"userid": userid, **extra})
    assert answer["errcode"] == 0, answer
    return answer


def test_it_pages_a_member_meetings(sandbox):
    now = sandbox.now()
    created = [sandbox.create_meeting(meeting_start=now + hour * 3600) for hour in range(1, 6)]
    window = {"begin_time": now, "end_time": now + DAY, "limit": 2}
    pages, cursor = [], "0"
    while True:
        answer = meetingids(sandbox, "lisi", cursor=cursor, **window)
        pages.append(answer["meetingid_list"])
        cursor = answer["next_cursor"]
        if not cursor:
            break
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [m for page in pages for m in page] == created


def test_it_lists_the_meetings_a_member_runs_or_is_invited_to(sandbox, meeting):
    other = sandbox.create_meeting(
        admin_userid="sunqi", invitees={"userid": ["lisi"]}, meeting_start=sandbox.now() + 7200
    )
    window = {"begin_time": sandbox.now(), "end_time": sandbox.now() + DAY}
    assert meetingids(sandbox, "zhangsan", **window)["meetingid_list"] == [meeting]
    assert meetingids(sandbox, "sunqi", **window)["meetingid_list"] == [other]
    assert meetingids(sandbox, "lisi", **window)["meetingid_list"] == [meeting, other]
    assert meetingids(sandbox, "zhaoliu", **window) == {
        "errcode": 0,
        "errmsg": "ok",
        "next_cursor": "",
        "meetingid_list": [],
    }


def test_it_lists_meetings_ahead_even_after_end_time(sandbox, meeting):
    # The page: end_time only bounds meetings of the past.
    now = sandbox.now()
    later = sandbox.create_meeting(meeting_start=now + 30 * DAY)
    answer = meetingids(sandbox, "lisi", begin_time=now, end_time=now + 60)
    assert answer["meetingid_list"] == [meeting, later]
    sandbox.advance(31 * DAY)
    answer = meetingids(sandbox, "lisi", begin_time=now, end_time=now + 60)
    assert answer["meetingid_list"] == []


def test_it_leaves_out_cancelled_meetings_and_meetings_before_begin_time(sandbox, meeting):
    now = sandbox.now()
    cancelled = sandbox.create_meeting(title="取消的")
    sandbox.call("meeting/cancel", {"meetingid": cancelled})
    answer = meetingids(sandbox, "lisi", begin_time=now, end_time=now + DAY)
    assert answer["meetingid_list"] == [meeting]
    answer = meetingids(sandbox, "lisi", begin_time=now + 7200, end_time=now + DAY)
    assert answer["meetingid_list"] == []


def test_it_only_lists_recent_meetings_without_times(sandbox, meeting):
    start = sandbox.meeting(meeting)["meeting_start"]
    assert meetingids(sandbox, "lisi")["meetingid_list"] == [meeting]
    sandbox.set_now(start + 7200)
    assert meetingids(sandbox, "lisi")["meetingid_list"] == [meeting]
    sandbox.set_now(start + 181 * DAY)
    assert meetingids(sandbox, "lisi")["meetingid_list"] == []


@pytest.mark.parametrize(
    ("extra", "errcode"),
    [
        pytest.param({"begin_time": 0, "end_time": 180 * DAY + 1}, 40058, id="span over 180 days"),
        pytest.param({"begin_time": 100, "end_time": 99}, 40058, id="end before begin"),
        pytest.param({"limit": 101}, 40058, id="limit 101"),
        pytest.param({"limit": 0}, 40058, id="limit 0"),
        pytest.param({"cursor": "next"}, 40058, id="cursor not ours"),
        pytest.param({"userid": "nobody"}, 60111, id="unknown member"),
        pytest.param({"userid": "no body"}, 40003, id="not a userid"),
    ],
)
def test_it_rejects_a_bad_get_user_meetingid(sandbox, extra, errcode):
    body = {"userid": "lisi", **extra}
    assert sandbox.call("meeting/get_user_meetingid", body)["errcode"] == errcode


def test_it_accepts_a_span_of_exactly_180_days(sandbox):
    meetingids(sandbox, "lisi", begin_time=0, end_time=180 * DAY, limit=100)


def test_it_overwrites_the_invitees_and_pages_them(sandbox, meeting):
    people = ["zhangsan"] + [f"member{n:03d}" for n in range(149)]
    sandbox.set_users(people)
    body = {"meetingid": meeting, "invitees": [{"userid": userid} for userid in people]}
    assert sandbox.call("meeting/set_invitees", body) == {"errcode": 0, "errmsg": "ok"}
    assert sandbox.meeting(meeting)["invitees"] == people

    first = sandbox.call("meeting/get_invitees", {"meetingid": meeting, "cursor": "0"})
    assert first["has_more"] is True
    assert len(first["invitees"]) == 100
    second = sandbox.call(
        "meeting/get_invitees", {"meetingid": meeting, "cursor": first["next_cursor"]}
    )
    assert second["has_more"] is False
    assert second["next_cursor"] == ""
    assert [i["userid"] for i in first["invitees"] + second["invitees"]] == people


def test_it_goes_past_the_update_cap_with_set_invitees(sandbox, meeting):
    sandbox.configure(invitee_cap=2)
    everyone = ["zhangsan", "lisi", "wangwu", "zhaoliu", "sunqi"]
    body = {"meetingid": meeting, "invitees": [{"userid": userid} for userid in everyone]}
    assert sandbox.call("meeting/set_invitees", body)["errcode"] == 0


def test_it_caps_set_invitees_at_2000(sandbox, meeting):
    people = ["zhangsan"] + [f"m{n}" for n in range(2000)]
    sandbox.set_users(people)
    body = {"meetingid": meeting, "invitees": [{"userid": userid} for userid in people]}
    assert sandbox.call("meeting/set_invitees", body)["errcode"] == 400020
    body["invitees"].pop()
    assert sandbox.call("meeting/set_invitees", body)["errcode"] == 0


@pytest.mark.parametrize(
    ("invitees", "errcode"),
    [
        pytest.param([{"userid": "lisi"}], 40058, id="without the admin"),
        pytest.param(["zhangsan", "lisi"], 40058, id="userids, not objects"),
        pytest.param({"userid": ["zhangsan"]}, 40058, id="update's shape"),
        pytest.param([{"userid": "zhangsan"}, {"userid": "nobody"}], 60111, id="unknown"),
        pytest.param([{"userid": "zhangsan"}, {"userid": "no one"}], 40003, id="not a userid"),
    ],
)
def test_it_rejects_a_bad_set_invitees(sandbox, meeting, invitees, errcode):
    body = {"meetingid": meeting, "invitees": invitees}
    assert sandbox.call("meeting/set_invitees", body)["errcode"] == errcode
    assert sandbox.meeting(meeting)["invitees"] == ["zhangsan", "lisi", "wangwu"]


@pytest.mark.parametrize(
    ("roles", "errcode"),
    [
        pytest.param({"hosts": {"userid": ["wangwu"]}}, 400029, id="host"),
        pytest.param(
            {"remind_scope": 4, "ring_users": {"userid": ["wangwu"]}},
            400037,
            id="ring user",
        ),
    ],
)
def test_set_invitees_keeps_hosts_and_ring_users_among_the_invitees(
    sandbox, meeting, roles, errcode
):
    # 98154 refuses a host (400029) or a ringing member (400037) who is not an invitee, and
    # 90313 gives those codes for the meeting, not for update alone: the twin that replaces
    # the whole list (98162) keeps the same rule instead of dropping them unseen.
    assert sandbox.call("meeting/update", {"meetingid": meeting, "settings": roles})["errcode"] == 0
    body = {"meetingid": meeting, "invitees": [{"userid": "zhangsan"}, {"userid": "lisi"}]}
    assert sandbox.call("meeting/set_invitees", body)["errcode"] == errcode
    assert sandbox.meeting(meeting)["invitees"] == ["zhangsan", "lisi", "wangwu"]
    # The same list once wangwu is no longer a host or ringing member is taken.
    cleared = {"hosts": {"userid": []}, "remind_scope": 2, "ring_users": {"userid": []}}
    assert (
        sandbox.call("meeting/update", {"meetingid": meeting, "settings": cleared})["errcode"] == 0
    )
    assert sandbox.call("meeting/set_invitees", body)["errcode"] == 0
    # And update refuses the same thing its twin refuses.
    assert (
        sandbox.call("meeting/update", {"meetingid": meeting, "settings": roles})["errcode"]
        == errcode
    )
