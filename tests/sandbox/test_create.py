import re

import pytest


def body(sandbox, **fields):
    return {
        "admin_userid": "zhangsan",
        "title": "需求评审",
        "meeting_start": sandbox.now() + 7200,
        "meeting_duration": 1800,
        **fields,
    }


def test_it_creates_a_meeting_with_an_id_a_code_and_a_link(sandbox):
    answer = sandbox.call("meeting/create", body(sandbox, invitees={"userid": ["lisi"]}))
    assert answer["errcode"] == 0
    assert answer["meetingid"].startswith("hy")
    assert re.fullmatch(r"[1-9][0-9]{8}", answer["meeting_code"])
    assert answer["meeting_link"].startswith("https://")
    assert "excess_users" not in answer
    stored = sandbox.meeting(answer["meetingid"])
    assert stored["admin_userid"] == "zhangsan"
    assert stored["invitees"] == ["zhangsan", "lisi"]
    assert stored["status"] == 1


def test_it_gives_every_meeting_its_own_id_and_code(sandbox):
    first = sandbox.call("meeting/create", body(sandbox, title="一"))
    second = sandbox.call("meeting/create", body(sandbox, title="二"))
    assert first["meetingid"] != second["meetingid"]
    assert first["meeting_code"] != second["meeting_code"]


@pytest.mark.parametrize(
    ("admin", "errcode"),
    [
        pytest.param(None, 40058, id="missing"),
        pytest.param(7, 40058, id="a number"),
        pytest.param("zhang san", 40003, id="not a userid"),
        pytest.param("nobody", 60111, id="unknown"),
    ],
)
def test_it_requires_a_known_admin_userid(sandbox, admin, errcode):
    request = body(sandbox, admin_userid=admin)
    if admin is None:
        del request["admin_userid"]
    assert sandbox.call("meeting/create", request)["errcode"] == errcode
    assert sandbox.control("GET", "meetings")["meetings"] == []


@pytest.mark.parametrize(
    ("missing", "errcode"),
    [
        pytest.param(("title",), 40058, id="title"),
        pytest.param(("meeting_start", "meeting_duration"), 40058, id="start and duration"),
        pytest.param(("meeting_duration",), 400223, id="duration only"),
    ],
)
def test_it_requires_a_title_a_start_and_a_duration(sandbox, missing, errcode):
    request = body(sandbox)
    for field in missing:
        del request[field]
    assert sandbox.call("meeting/create", request)["errcode"] == errcode


def test_it_applies_the_update_rules_to_a_create(sandbox):
    assert sandbox.call("meeting/create", body(sandbox, title=""))["errcode"] == 400042
    past = body(sandbox, meeting_start=sandbox.now() - 1)
    assert sandbox.call("meeting/create", past)["errcode"] == 400222
    weak = body(sandbox, settings={"password": "12"})
    assert sandbox.call("meeting/create", weak)["errcode"] == 400030
    stranger_host = body(sandbox, settings={"hosts": {"userid": ["lisi"]}})
    assert sandbox.call("meeting/create", stranger_host)["errcode"] == 400029


def test_it_refuses_the_same_meeting_created_twice_within_five_minutes(sandbox):
    request = body(sandbox)
    assert sandbox.call("meeting/create", request)["errcode"] == 0
    again = sandbox.call("meeting/create", request)
    assert again["errcode"] == 400302
    assert "meetingid" not in again
    forced = sandbox.call("meeting/create", {**request, "skip_duplicate_check": True})
    assert forced["errcode"] == 0
    other_title = sandbox.call("meeting/create", {**request, "title": "另一个会"})
    assert other_title["errcode"] == 0
    sandbox.advance(300)
    assert sandbox.call("meeting/create", request)["errcode"] == 0
    assert len(sandbox.control("GET", "meetings")["meetings"]) == 4


def test_it_reports_excess_users_on_create(sandbox):
    sandbox.configure(excess_users=["lisi"])
    answer = sandbox.call("meeting/create", body(sandbox, invitees={"userid": ["lisi", "wangwu"]}))
    assert answer["excess_users"] == ["lisi"]


def test_it_ignores_fields_it_does_not_know(sandbox):
    request = body(sandbox, guests=[{"area": "+86", "phone_number": "13800000000"}])
    assert sandbox.call("meeting/create", request)["errcode"] == 0
