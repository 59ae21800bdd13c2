"""The control API: request log, clock, directory, config, direct meeting access, reset."""

import pytest
import requests

from wecom.sandbox.state import DEFAULT_CALLBACK_AES_KEY, DEFAULT_CALLBACK_TOKEN


def test_it_logs_every_wecom_call_in_order_with_secrets_masked(sandbox, meeting):
    sandbox.clear_requests()
    token = sandbox.token()
    sandbox.call("meeting/update", {"meetingid": meeting, "title": "新标题"}, token=token)
    sandbox.call("meeting/update", {"meetingid": meeting, "title": ""}, token=token)
    requests.post(
        f"{sandbox.url}/cgi-bin/meeting/get_info",
        params={"access_token": token},
        data=b"not json",
        timeout=5,
    )
    log = sandbox.requests()
    assert [(e["method"], e["path"], e["errcode"]) for e in log] == [
        ("GET", "gettoken", 0),
        ("POST", "meeting/update", 0),
        ("POST", "meeting/update", 400042),
        ("POST", "meeting/get_info", 40058),
    ]
    assert log[0]["query"] == {"corpid": "wwsandbox", "corpsecret": "***"}
    assert log[1]["query"] == {"access_token": "***"}
    assert log[1]["body"] == {"meetingid": meeting, "title": "新标题"}
    assert log[3]["body"] == "not json"
    assert [e["seq"] for e in log] == [1, 2, 3, 4]
    assert all(e["http_status"] == 200 and abs(e["time"] - sandbox.now()) < 5 for e in log)
    assert token not in str(log)
    assert sandbox.requests("meeting/update") == log[1:3]


def test_it_forgets_the_request_log_on_delete(sandbox):
    sandbox.token()
    sandbox.clear_requests()
    assert sandbox.requests() == []


def test_it_does_not_log_control_calls(sandbox):
    sandbox.now()
    sandbox.control("GET", "meetings")
    assert sandbox.requests() == []


def test_it_moves_the_clock(sandbox):
    now = sandbox.now()
    assert sandbox.advance(3600) - now in (3600, 3601)
    assert sandbox.set_now(2000000000) in (2000000000, 2000000001)
    answer = requests.post(f"{sandbox.url}/__sandbox__/clock", json={"later": 5}, timeout=5)
    assert answer.status_code == 400


def test_it_replaces_the_directory(sandbox, meeting):
    people = sandbox.control("GET", "people")["people"]
    assert {"userid": "zhangsan", "name": "张三", "department": "产品部"} in people
    assert len(people) >= 20
    assert {"lisi", "wangwu"} <= set(sandbox.control("GET", "users")["userids"])

    sandbox.set_users(["zhangsan", "newcomer"])
    body = {"meetingid": meeting, "invitees": {"userid": ["newcomer"]}}
    assert sandbox.call("meeting/update", body)["errcode"] == 0
    body = {"meetingid": meeting, "invitees": {"userid": ["lisi"]}}
    assert sandbox.call("meeting/update", body)["errcode"] == 60111

    named = {"users": [{"userid": "zhangsan", "name": "张三", "department": "产品部"}]}
    assert sandbox.control("POST", "users", named) == {"userids": ["zhangsan"]}
    assert sandbox.control("GET", "people")["people"] == named["users"]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"userids": ["has space"]}, id="not a userid"),
        pytest.param({"userids": "lisi"}, id="not a list"),
        pytest.param({"users": [{"name": "无名"}]}, id="no userid"),
        pytest.param({}, id="nothing"),
    ],
)
def test_it_refuses_a_directory_it_cannot_use(sandbox, payload):
    response = requests.post(f"{sandbox.url}/__sandbox__/users", json=payload, timeout=5)
    assert response.status_code == 400


def test_it_reads_and_changes_the_config(sandbox):
    config = sandbox.control("GET", "config")["config"]
    assert config == {
        "invitee_cap": 100,
        "token_lifetime": 7200,
        "latency": 0,
        "create_seconds": 0.1,
        "excess_users": [],
        "callback_url": None,
        "callback_token": DEFAULT_CALLBACK_TOKEN,
        "callback_aes_key": DEFAULT_CALLBACK_AES_KEY,
        "unlicensed_users": [],
    }
    assert sandbox.configure(invitee_cap=300)["invitee_cap"] == 300
    for bad in ({"invitee_cap": 0}, {"latency": "slow"}, {"colour": "red"}):
        response = requests.post(f"{sandbox.url}/__sandbox__/config", json=bad, timeout=5)
        assert response.status_code == 400


def test_it_changes_a_meeting_directly_without_the_rules(sandbox, meeting):
    changed = sandbox.patch_meeting(
        meeting,
        title="x" * 300,
        invitees={"userid": ["zhangsan", "nobody"]},
        settings={"remind_scope": 9},
        location=None,
    )
    assert changed["title"] == "x" * 300
    assert changed["invitees"] == ["zhangsan", "nobody"]
    assert changed["settings"] == {"remind_scope": 9}
    assert sandbox.meeting(meeting) == changed

    assert sandbox.patch_meeting(meeting, status=4)["status"] == 4
    assert sandbox.patch_meeting(meeting, status=None)["status"] == 1
    for bad in ({"meetingid": "other"}, {"status": 7}, {"settings": 3}):
        response = requests.patch(
            f"{sandbox.url}/__sandbox__/meetings/{meeting}", json=bad, timeout=5
        )
        assert response.status_code == 400
    response = requests.get(f"{sandbox.url}/__sandbox__/meetings/hyUnknown", timeout=5)
    assert response.status_code == 404


def test_it_lists_the_stored_meetings(sandbox, meeting):
    [stored] = sandbox.control("GET", "meetings")["meetings"]
    assert stored["meetingid"] == meeting
    assert stored["status"] == 1
    assert stored["invitees"] == ["zhangsan", "lisi", "wangwu"]


def test_it_resets_to_a_fresh_start(sandbox, meeting):
    sandbox.add_calendar()
    sandbox.set_users(["zhangsan"])
    sandbox.configure(invitee_cap=5, latency=0.01)
    sandbox.fault(path="*", kind="errcode", value=-1, times=100)
    sandbox.advance(86400)
    assert sandbox.requests()

    assert sandbox.control("POST", "reset")["reset"] is True
    assert sandbox.control("GET", "meetings")["meetings"] == []
    assert sandbox.control("GET", "calendars")["calendars"] == []
    assert sandbox.control("GET", "faults")["faults"] == []
    assert sandbox.requests() == []
    assert "lisi" in sandbox.control("GET", "users")["userids"]
    assert sandbox.control("GET", "config")["config"]["invitee_cap"] == 100
    assert abs(sandbox.now() - sandbox.sandbox.clock.now()) <= 1
    assert sandbox.sandbox.clock.offset == 0
    assert sandbox.sandbox.tokens == {}


def test_it_answers_404_and_405_on_the_control_api(sandbox):
    assert requests.get(f"{sandbox.url}/__sandbox__/nothing", timeout=5).status_code == 404
    assert requests.get(f"{sandbox.url}/__sandbox__/reset", timeout=5).status_code == 405
    assert requests.get(f"{sandbox.url}/elsewhere", timeout=5).status_code == 404
    response = requests.post(f"{sandbox.url}/__sandbox__/clock", data=b"{", timeout=5)
    assert response.status_code == 400
