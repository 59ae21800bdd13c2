"""Injected failures: each kind does what it says, on WeCom calls only."""

import time

import pytest
import requests


def create(sandbox, token, timeout=5, **fields):
    body = {
        "admin_userid": "zhangsan",
        "title": "故障演练",
        "meeting_start": sandbox.now() + 3600,
        "meeting_duration": 1800,
        **fields,
    }
    return requests.post(
        f"{sandbox.url}/cgi-bin/meeting/create",
        params={"access_token": token},
        json=body,
        timeout=timeout,
    )


def stored_meetings(sandbox):
    return sandbox.control("GET", "meetings")["meetings"]


def test_it_answers_an_injected_errcode_without_applying_the_call(sandbox):
    token = sandbox.token()
    sandbox.fault(path="meeting/create", kind="errcode", value=-1)
    response = create(sandbox, token)
    assert response.status_code == 200
    assert response.json() == {"errcode": -1, "errmsg": "system busy"}
    assert stored_meetings(sandbox) == []
    # The fault was for one call only.
    assert create(sandbox, token).json()["errcode"] == 0


def test_it_answers_an_injected_http_status_with_a_body_that_is_not_json(sandbox):
    token = sandbox.token()
    sandbox.fault(path="/cgi-bin/meeting/create", kind="http_status", value=502)
    response = create(sandbox, token)
    assert response.status_code == 502
    with pytest.raises(ValueError):
        response.json()
    assert stored_meetings(sandbox) == []


def test_it_delays_and_then_answers(sandbox):
    token = sandbox.token()
    sandbox.fault(path="meeting/create", kind="delay", value=0.3)
    started = time.monotonic()
    response = create(sandbox, token)
    assert time.monotonic() - started >= 0.3
    assert response.json()["errcode"] == 0
    assert len(stored_meetings(sandbox)) == 1


def test_it_holds_the_connection_on_timeout_and_applies_nothing(sandbox):
    token = sandbox.token()
    sandbox.fault(path="meeting/create", kind="timeout", value=1)
    with pytest.raises(requests.ReadTimeout):
        create(sandbox, token, timeout=0.3)
    assert stored_meetings(sandbox) == []
    [entry] = sandbox.requests("meeting/create")
    assert entry["fault"] == "timeout"
    assert entry["errcode"] is None
    assert entry["applied"] is False


def test_it_closes_the_connection_unanswered_after_the_timeout(sandbox):
    token = sandbox.token()
    sandbox.fault(path="meeting/create", kind="timeout", value=0.2)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        create(sandbox, token, timeout=3)
    assert 0.2 <= time.monotonic() - started < 3


def test_it_applies_the_call_and_loses_the_answer_with_timeout_after(sandbox):
    token = sandbox.token()
    sandbox.fault(path="meeting/create", kind="timeout", value=1, after=True)
    with pytest.raises(requests.ReadTimeout):
        create(sandbox, token, timeout=0.3)
    [meeting] = stored_meetings(sandbox)
    assert meeting["title"] == "故障演练"
    [entry] = sandbox.requests("meeting/create")
    assert entry["applied"] is True
    assert entry["errcode"] == 0


def test_it_disconnects_without_applying_the_call(sandbox):
    token = sandbox.token()
    sandbox.fault(path="meeting/create", kind="disconnect")
    with pytest.raises(requests.ConnectionError):
        create(sandbox, token)
    assert stored_meetings(sandbox) == []


def test_it_applies_the_call_and_then_disconnects_with_disconnect_after(sandbox):
    token = sandbox.token()
    sandbox.fault(path="meeting/create", kind="disconnect", after=True)
    with pytest.raises(requests.ConnectionError):
        create(sandbox, token)
    assert len(stored_meetings(sandbox)) == 1


def test_it_fires_a_fault_the_given_number_of_times(sandbox):
    token = sandbox.token()
    sandbox.fault(path="meeting/create", kind="errcode", value=45033, times=2)
    codes = [create(sandbox, token, title=f"第{n}次").json()["errcode"] for n in range(3)]
    assert codes == [45033, 45033, 0]
    assert sandbox.control("GET", "faults")["faults"] == []


def test_it_fires_a_rate_fault_on_a_seeded_share_of_calls(sandbox):
    def pattern():
        sandbox.clear_faults()
        sandbox.fault(path="meeting/get_info", kind="errcode", value=-1, rate=0.3, seed=7)
        token = sandbox.token()
        return [
            sandbox.call("meeting/get_info", {"meetingid": "x"}, token=token)["errcode"]
            for _ in range(40)
        ]

    first = pattern()
    assert first == pattern()
    assert 0 < first.count(-1) < 40
    assert set(first) == {-1, 730011}


def test_it_counts_only_wecom_calls_against_a_fault(sandbox):
    sandbox.fault(path="*", kind="errcode", value=-1)
    for _ in range(3):
        sandbox.now()
        sandbox.control("GET", "meetings")
    answer = requests.get(
        f"{sandbox.url}/cgi-bin/gettoken",
        params={"corpid": sandbox.corp_id, "corpsecret": sandbox.secret},
        timeout=5,
    ).json()
    assert answer["errcode"] == -1
    assert sandbox.token()


def test_it_only_faults_the_path_named(sandbox, meeting):
    sandbox.fault(path="meeting/update", kind="errcode", value=6000)
    assert sandbox.call("meeting/get_info", {"meetingid": meeting})["errcode"] == 0
    assert sandbox.call("meeting/update", {"meetingid": meeting})["errcode"] == 6000


def test_it_forgets_faults_on_delete(sandbox, meeting):
    sandbox.fault(path="meeting/get_info", kind="errcode", value=-1, times=5)
    sandbox.clear_faults()
    assert sandbox.call("meeting/get_info", {"meetingid": meeting})["errcode"] == 0


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"kind": "errcode", "value": -1}, id="no path"),
        pytest.param({"path": "meeting/update", "kind": "explode"}, id="unknown kind"),
        pytest.param({"path": "meeting/update", "kind": "errcode"}, id="errcode without value"),
        pytest.param({"path": "meeting/update", "kind": "delay", "value": -1}, id="delay < 0"),
        pytest.param(
            {"path": "meeting/update", "kind": "errcode", "value": 1, "after": True},
            id="after on errcode",
        ),
        pytest.param({"path": "meeting/update", "kind": "disconnect", "rate": 2}, id="rate 2"),
        pytest.param({"path": "meeting/update", "kind": "disconnect", "times": 0}, id="times 0"),
        pytest.param({"path": "meeting/update", "kind": "disconnect", "when": 1}, id="unknown"),
    ],
)
def test_it_refuses_a_fault_it_cannot_apply(sandbox, spec):
    response = requests.post(f"{sandbox.url}/__sandbox__/faults", json=spec, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]


def test_it_adds_latency_to_every_wecom_call(sandbox):
    sandbox.configure(latency=0.2)
    started = time.monotonic()
    sandbox.token()
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    sandbox.now()
    assert time.monotonic() - started < 0.2
