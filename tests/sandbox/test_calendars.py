"""oa/calendar/*: the contract of the add (https://developer.work.weixin.qq.com/document/path/93647),
update (97716), get (97717) and del (97718) pages, with the errcodes of 90313 as go-workwx's
errcodes/mod.go lists them (90457 bad cal_id, 90459 deleted, 90473 bad colour)."""

import pytest


def add(sandbox, **calendar):
    return sandbox.call(
        "oa/calendar/add",
        {"calendar": {"summary": "行政日历", "color": "#FF3300", **calendar}, "agentid": 1000002},
    )


def get(sandbox, *cal_ids):
    answer = sandbox.call("oa/calendar/get", {"cal_id_list": list(cal_ids)})
    assert answer["errcode"] == 0, answer
    return answer["calendar_list"]


def test_it_adds_gets_updates_and_deletes_a_calendar(sandbox):
    answer = add(
        sandbox,
        description="全体会议",
        admins=["lisi"],
        shares=[{"userid": "lisi", "permission": 1}, {"userid": "wangwu", "permission": 3}],
        is_public=1,
        public_range={"userids": ["zhaoliu"], "partyids": [1]},
        set_as_default=0,
    )
    assert answer["errcode"] == 0
    assert answer["fail_result"] == {"shares": []}
    cal_id = answer["cal_id"]
    assert len(cal_id.encode()) <= 64
    [calendar] = get(sandbox, cal_id)
    assert calendar["summary"] == "行政日历"
    assert calendar["shares"] == [
        {"userid": "lisi", "permission": 1},
        {"userid": "wangwu", "permission": 3},
    ]
    assert calendar["is_public"] == 1
    assert calendar["is_corp_calendar"] == 0

    update = {
        "calendar": {
            "cal_id": cal_id,
            "summary": "新名字",
            "color": "#00FF00",
            "public_range": {"partyids": [2]},
        },
    }
    assert sandbox.call("oa/calendar/update", update)["errcode"] == 0
    [calendar] = get(sandbox, cal_id)
    # A full overwrite: what the update leaves out is gone, except what cannot change.
    assert calendar == {
        "cal_id": cal_id,
        "summary": "新名字",
        "color": "#00FF00",
        "public_range": {"userids": [], "partyids": [2]},
        "is_public": 1,
        "is_corp_calendar": 0,
    }

    assert sandbox.call("oa/calendar/del", {"cal_id": cal_id})["errcode"] == 0
    assert get(sandbox, cal_id) == []
    # 90313: 90459 "日历已删除" once it is gone.
    assert sandbox.call("oa/calendar/del", {"cal_id": cal_id})["errcode"] == 90459
    assert sandbox.call("oa/calendar/update", update)["errcode"] == 90459


@pytest.mark.parametrize(
    ("calendar", "errcode"),
    [
        pytest.param({"summary": ""}, 40058, id="summary empty"),
        pytest.param({"summary": "日" * 129}, 40058, id="summary 129"),
        pytest.param({"summary": None}, 40058, id="summary missing"),
        # 90313: 90473 "颜色参数异常".
        pytest.param({"color": "red"}, 90473, id="color a name"),
        pytest.param({"color": "#FFF"}, 90473, id="color short"),
        pytest.param({"color": None}, 40058, id="color missing"),
        pytest.param({"description": "d" * 513}, 40058, id="description 513"),
        pytest.param(
            {
                "admins": ["lisi", "wangwu", "zhaoliu", "sunqi"],
                "shares": [{"userid": u} for u in ("lisi", "wangwu", "zhaoliu", "sunqi")],
            },
            40058,
            id="4 admins",
        ),
        # 93647: admins are chosen among the calendar's shares.
        pytest.param({"admins": ["lisi"]}, 40058, id="admin not shared"),
        pytest.param(
            {"admins": ["lisi"], "shares": [{"userid": "wangwu"}]},
            40058,
            id="admin elsewhere",
        ),
        # 93647: a public calendar says whom it is public to.
        pytest.param({"is_public": 1}, 40058, id="public to nobody"),
        pytest.param(
            {"is_public": 1, "public_range": {"userids": [], "partyids": []}},
            40058,
            id="public range empty",
        ),
        pytest.param({"admins": ["nobody"]}, 60111, id="admin unknown"),
        pytest.param({"shares": [{"userid": "lisi", "permission": 2}]}, 40058, id="permission"),
        pytest.param({"shares": [{"userid": "l i"}]}, 40003, id="share not a userid"),
        pytest.param({"is_public": 2}, 40058, id="is_public 2"),
        pytest.param({"is_corp_calendar": True}, 40058, id="flag a boolean"),
    ],
)
def test_it_rejects_a_bad_calendar(sandbox, calendar, errcode):
    assert add(sandbox, **calendar)["errcode"] == errcode
    assert sandbox.control("GET", "calendars")["calendars"] == []


def test_it_accepts_the_limits_of_a_calendar(sandbox):
    admins = ["lisi", "wangwu", "zhaoliu"]
    answer = add(
        sandbox,
        summary="日" * 128,
        description="d" * 512,
        admins=admins,
        shares=[{"userid": userid} for userid in admins],
    )
    assert answer["errcode"] == 0


def test_it_reports_shares_it_cannot_make(sandbox):
    answer = add(sandbox, shares=[{"userid": "lisi"}, {"userid": "ghost", "permission": 1}])
    assert answer["errcode"] == 0
    assert [share["userid"] for share in answer["fail_result"]["shares"]] == ["ghost"]
    [calendar] = get(sandbox, answer["cal_id"])
    assert calendar["shares"] == [{"userid": "lisi"}]


def test_it_refuses_to_change_is_public_or_is_corp_calendar(sandbox):
    cal_id = add(sandbox, is_public=0)["cal_id"]
    for flag in ("is_public", "is_corp_calendar"):
        body = {"calendar": {"cal_id": cal_id, "summary": "x", "color": "#000000", flag: 1}}
        assert sandbox.call("oa/calendar/update", body)["errcode"] == 40058
    same = {"calendar": {"cal_id": cal_id, "summary": "x", "color": "#000000", "is_public": 0}}
    assert sandbox.call("oa/calendar/update", same)["errcode"] == 0


def test_it_keeps_the_public_range_when_told_to_skip_it(sandbox):
    cal_id = add(sandbox, is_public=1, public_range={"userids": ["lisi"]})["cal_id"]
    body = {
        "calendar": {"cal_id": cal_id, "summary": "x", "color": "#000000"},
        "skip_public_range": 1,
    }
    assert sandbox.call("oa/calendar/update", body)["errcode"] == 0
    assert get(sandbox, cal_id)[0]["public_range"] == {"userids": ["lisi"], "partyids": []}


def test_it_answers_90457_for_a_calendar_it_never_made(sandbox):
    # 90313: 90457 "日历ID异常" on update and del; get leaves the id out.
    body = {"calendar": {"cal_id": "wcElsewhere", "summary": "x", "color": "#000000"}}
    assert sandbox.call("oa/calendar/update", body)["errcode"] == 90457
    assert sandbox.call("oa/calendar/del", {"cal_id": "wcElsewhere"})["errcode"] == 90457
    assert get(sandbox, "wcElsewhere") == []


def test_an_update_keeps_a_public_calendar_public_to_someone(sandbox):
    cal_id = add(sandbox, is_public=1, public_range={"userids": ["lisi"]})["cal_id"]
    # update overwrites: leaving public_range out (without skip_public_range) empties it.
    body = {"calendar": {"cal_id": cal_id, "summary": "x", "color": "#000000"}}
    assert sandbox.call("oa/calendar/update", body)["errcode"] == 40058
    assert get(sandbox, cal_id)[0]["public_range"] == {"userids": ["lisi"], "partyids": []}


def test_it_refuses_a_meeting_on_a_deleted_calendar(sandbox, meeting):
    cal_id = add(sandbox)["cal_id"]
    sandbox.call("oa/calendar/del", {"cal_id": cal_id})
    answer = sandbox.call("meeting/update", {"meetingid": meeting, "cal_id": cal_id})
    assert answer["errcode"] == 400036


def test_it_gets_at_most_1000_calendars_at_once(sandbox):
    answer = sandbox.call("oa/calendar/get", {"cal_id_list": ["wc"] * 1001})
    assert answer["errcode"] == 40058
    assert sandbox.call("oa/calendar/get", {"cal_id_list": "wc"})["errcode"] == 40058
