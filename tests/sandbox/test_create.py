"""meeting/create: the contract of https://developer.work.weixin.qq.com/document/path/98148
(the update body plus admin_userid; 400301 / 400302 for "the same meeting"), with the
errcodes of 90313. SKIT's CgibinMeetingCreateRequest/Response and silenceper/wechat's
work/meeting MeetingCreate* carry the same fields."""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests


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
        # 90313: 400040 for a create without its admin_userid.
        pytest.param(None, 400040, id="missing"),
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


# --- 400301: the same meeting while the first create is still being processed ---------------

HOLD = 1.0  # seconds a delay fault holds the first create: ample for a local call to overtake


def send_in_background(pool, sandbox, request, token):
    """Send a create from another thread and return its future once the sandbox has received
    it, which is when the sandbox marks it as being processed (in the same locked step)."""
    received = len(sandbox.requests("meeting/create"))
    future = pool.submit(sandbox.call, "meeting/create", request, token)
    deadline = time.monotonic() + 5
    while len(sandbox.requests("meeting/create")) == received:
        assert time.monotonic() < deadline, "the sandbox never received the create"
        time.sleep(0.01)
    return future


def being_created(sandbox):
    with sandbox.sandbox.lock:
        return list(sandbox.sandbox.creating.values())


def stored(sandbox):
    return sandbox.control("GET", "meetings")["meetings"]


def test_it_answers_400301_while_the_same_create_is_still_being_processed(sandbox):
    token = sandbox.token()
    request = body(sandbox)
    sandbox.fault(path="meeting/create", kind="delay", value=HOLD)
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = send_in_background(pool, sandbox, request, token)
        started = time.monotonic()
        second = sandbox.call("meeting/create", request, token=token)
        # At once: it does not wait for the first to finish.
        assert time.monotonic() - started < HOLD
        assert not first.done()
        assert second["errcode"] == 400301, second
        assert "meetingid" not in second
        assert stored(sandbox) == []
        assert first.result()["errcode"] == 0
    [meeting] = stored(sandbox)
    assert meeting["meetingid"] == first.result()["meetingid"]
    assert being_created(sandbox) == []
    # Once applied, the same meeting is "already created".
    assert sandbox.call("meeting/create", request, token=token)["errcode"] == 400302
    assert len(stored(sandbox)) == 1


@pytest.mark.parametrize(
    ("change", "first_errcode", "count"),
    [
        pytest.param({"title": "另一个会"}, 0, 2, id="another title"),
        # The forced one is stored first, so the held one then finds it "already created".
        pytest.param({"skip_duplicate_check": True}, 400302, 1, id="skip_duplicate_check"),
    ],
)
def test_it_does_not_hold_back_a_create_that_is_not_the_same_or_skips_the_check(
    sandbox, change, first_errcode, count
):
    token = sandbox.token()
    request = body(sandbox)
    sandbox.fault(path="meeting/create", kind="delay", value=HOLD)
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = send_in_background(pool, sandbox, request, token)
        second = sandbox.call("meeting/create", {**request, **change}, token=token)
        assert second["errcode"] == 0, second
        assert first.result()["errcode"] == first_errcode
    assert len(stored(sandbox)) == count
    assert being_created(sandbox) == []


def test_it_counts_a_create_held_by_the_latency_as_being_processed(sandbox):
    token = sandbox.token()
    request = body(sandbox)
    sandbox.configure(latency=HOLD)
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = send_in_background(pool, sandbox, request, token)
        # The first keeps the latency it was received with; the second is not slowed.
        sandbox.configure(latency=0)
        assert sandbox.call("meeting/create", request, token=token)["errcode"] == 400301
        assert first.result()["errcode"] == 0
    assert len(stored(sandbox)) == 1


def test_identical_creates_sent_together_meet_400301_without_any_fault(sandbox):
    # 98148: 400301 while "the same meeting" is still being created. WeCom takes a moment to
    # create one (config create_seconds, on by default), so two identical creates sent at
    # the same time give one meeting and one 400301, with no latency or fault configured.
    assert sandbox.control("GET", "config")["config"]["create_seconds"] > 0
    token = sandbox.token()
    request = body(sandbox)
    together = threading.Barrier(2)

    def send():
        together.wait()
        return sandbox.call("meeting/create", request, token=token)["errcode"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        errcodes = sorted(pool.map(lambda _: send(), range(2)))
    assert errcodes == [0, 400301]
    assert len(stored(sandbox)) == 1


@pytest.mark.parametrize(
    ("invalid", "errcode"),
    [
        pytest.param({"title": None}, 40058, id="no title"),
        pytest.param({"settings": {"password": "12"}}, 400030, id="bad password"),
    ],
)
def test_a_create_that_fails_validation_is_never_being_processed(sandbox, invalid, errcode):
    token = sandbox.token()
    request = body(sandbox)
    bad = {key: value for key, value in {**request, **invalid}.items() if value is not None}
    sandbox.fault(path="meeting/create", kind="delay", value=HOLD)
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = send_in_background(pool, sandbox, bad, token)
        assert being_created(sandbox) == []
        assert held.result()["errcode"] == errcode
    assert being_created(sandbox) == []
    assert sandbox.call("meeting/create", request, token=token)["errcode"] == 0


@pytest.mark.parametrize("kind", ["timeout", "disconnect"])
def test_a_dropped_create_is_never_being_processed(sandbox, kind):
    token = sandbox.token()
    request = body(sandbox)
    # With latency the drop comes only after a hold, during which it must mark nothing.
    sandbox.configure(latency=0.3)
    sandbox.fault(path="meeting/create", kind=kind, value=HOLD if kind == "timeout" else None)
    with ThreadPoolExecutor(max_workers=1) as pool:
        dropped = send_in_background(pool, sandbox, request, token)
        assert being_created(sandbox) == []
        with pytest.raises(requests.RequestException):
            dropped.result()
    assert being_created(sandbox) == []
    assert stored(sandbox) == []
    assert sandbox.call("meeting/create", request, token=token)["errcode"] == 0


def test_a_create_applied_before_its_answer_is_lost_is_already_created(sandbox):
    token = sandbox.token()
    request = body(sandbox)
    sandbox.configure(latency=0.2)
    sandbox.fault(path="meeting/create", kind="timeout", value=HOLD, after=True)
    with pytest.raises(requests.ReadTimeout):
        sandbox.call("meeting/create", request, token=token, timeout=0.6)
    # The connection is still held, but the meeting is stored: 400302, not 400301.
    assert being_created(sandbox) == []
    assert sandbox.call("meeting/create", request, token=token)["errcode"] == 400302
    assert len(stored(sandbox)) == 1
