"""The client over real HTTP against the sandbox: tokens, error classes, secrets."""

import logging
import multiprocessing
import re
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections

from wecom import client as client_module
from wecom.client import WeComClient, get_client
from wecom.errors import (
    ConfigurationError,
    PermanentError,
    TokenError,
    TransientError,
    WeComError,
)

pytestmark = pytest.mark.django_db(transaction=True)

CREDENTIAL_IN_CLEAR = re.compile(r"(access_token|corpsecret)=(?!\*\*\*)", re.IGNORECASE)


def paths(sandbox):
    return [(call["path"], call["errcode"]) for call in sandbox.requests()]


def test_it_fetches_one_token_for_200_calls_from_8_threads(sandbox, wecom):
    barrier = threading.Barrier(8)
    failures = []

    def worker():
        try:
            barrier.wait()
            for _ in range(25):
                wecom.meeting_get_user_meetingid("zhangsan")
        except Exception as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(sandbox.requests("gettoken")) == 1
    assert len(sandbox.requests("meeting/get_user_meetingid")) == 200


def _token_in_another_process(url, start_at, results):
    try:
        client = WeComClient(
            url, "wwsandbox", "sandbox-secret", 1000002, connect_timeout=2, read_timeout=5
        )
        time.sleep(max(0.0, start_at - time.time()))
        client.meeting_get_user_meetingid("zhangsan")
        results.put(client.tokens.get())
    except Exception as exc:
        results.put(f"failed: {exc!r}")
    finally:
        connections.close_all()


def test_it_fetches_one_token_for_20_processes(sandbox, wecom):
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    # The children open their own database connections; one inherited would be shared.
    connections.close_all()
    start_at = time.time() + 1.5
    processes = [
        context.Process(target=_token_in_another_process, args=(sandbox.url, start_at, results))
        for _ in range(20)
    ]
    for process in processes:
        process.start()
    tokens = [results.get(timeout=30) for _ in processes]
    for process in processes:
        process.join(timeout=10)

    assert len(set(tokens)) == 1, tokens
    assert not tokens[0].startswith("failed")
    assert len(sandbox.requests("gettoken")) == 1
    assert len(sandbox.requests("meeting/get_user_meetingid")) == 20


def test_it_refreshes_an_expired_token_once_and_resends_once(sandbox, wecom):
    wecom.meeting_get_user_meetingid("zhangsan")
    sandbox.advance(7200 + 60)
    sandbox.clear_requests()

    answer = wecom.meeting_get_user_meetingid("zhangsan")

    assert answer["errcode"] == 0
    assert paths(sandbox) == [
        ("meeting/get_user_meetingid", 42001),
        ("gettoken", 0),
        ("meeting/get_user_meetingid", 0),
    ]
    wecom.meeting_get_user_meetingid("zhangsan")
    assert len(sandbox.requests("gettoken")) == 1


def test_it_refreshes_a_token_wecom_dropped_early(sandbox, wecom):
    wecom.meeting_get_user_meetingid("zhangsan")
    sandbox.control("DELETE", "tokens")
    sandbox.clear_requests()

    wecom.meeting_get_user_meetingid("zhangsan")

    assert paths(sandbox) == [
        ("meeting/get_user_meetingid", 40014),
        ("gettoken", 0),
        ("meeting/get_user_meetingid", 0),
    ]


def test_it_gives_up_after_one_resend_when_the_token_keeps_failing(sandbox, wecom):
    sandbox.fault(path="meeting/get_user_meetingid", kind="errcode", value=40014, times=5)

    with pytest.raises(TokenError) as caught:
        wecom.meeting_get_user_meetingid("zhangsan")

    assert caught.value.errcode == 40014
    assert paths(sandbox) == [
        ("gettoken", 0),
        ("meeting/get_user_meetingid", 40014),
        ("gettoken", 0),
        ("meeting/get_user_meetingid", 40014),
    ]


@pytest.mark.parametrize(
    ("errcode", "error_class"),
    [
        (-1, TransientError),
        (6000, TransientError),
        (60020, ConfigurationError),
        (48002, ConfigurationError),
        (400045, PermanentError),
    ],
)
def test_it_raises_each_errcode_as_its_class(sandbox, wecom, errcode, error_class):
    sandbox.fault(path="meeting/update", kind="errcode", value=errcode)

    with pytest.raises(WeComError) as caught:
        wecom.meeting_update({"meetingid": "any", "title": "周会"})

    assert type(caught.value) is error_class
    assert caught.value.errcode == errcode
    assert caught.value.path == "meeting/update"
    assert len(sandbox.requests("meeting/update")) == 1


def test_it_raises_45009_as_transient_with_a_pause(sandbox, wecom):
    sandbox.fault(path="meeting/update", kind="errcode", value=45009)

    with pytest.raises(TransientError) as caught:
        wecom.meeting_update({"meetingid": "any"})

    assert caught.value.errcode == 45009
    assert 1 <= caught.value.retry_after <= 60


def test_it_raises_a_wrong_secret_as_configuration_and_stops_asking(sandbox, make_client):
    wecom = make_client(secret="not-the-secret")

    with pytest.raises(ConfigurationError) as caught:
        wecom.meeting_get_user_meetingid("zhangsan")
    assert caught.value.errcode == 40001
    assert caught.value.path == "gettoken"
    # WeCom blocks an IP after repeated bad secrets: one question is enough. The calls that
    # follow are not sent, and are not given WeCom's answer to that question as their own.
    for _ in range(2):
        with pytest.raises(TransientError) as held:
            wecom.meeting_get_user_meetingid("zhangsan")
        assert held.value.errcode is None
        assert held.value.path == "meeting/get_user_meetingid"
        assert "not sent" in str(held.value)

    assert paths(sandbox) == [("gettoken", 40001)]


def test_it_raises_a_rule_wecom_enforces_as_permanent_with_its_field(sandbox, wecom):
    meetingid = sandbox.create_meeting()

    with pytest.raises(PermanentError) as caught:
        wecom.meeting_update({"meetingid": meetingid, "settings": {"password": "12"}})

    assert caught.value.errcode == 400030
    assert caught.value.field == "settings.password"


def test_it_raises_an_http_error_as_transient(sandbox, wecom):
    sandbox.fault(path="meeting/update", kind="http_status", value=502)

    with pytest.raises(TransientError) as caught:
        wecom.meeting_update({"meetingid": "any"})

    assert caught.value.errcode is None
    assert str(caught.value) == "meeting/update: HTTP 502"


def test_it_raises_an_answer_that_is_not_wecom_json_as_transient(sandbox, wecom):
    sandbox.fault(path="meeting/update", kind="http_status", value=200)

    with pytest.raises(TransientError) as caught:
        wecom.meeting_update({"meetingid": "any"})

    assert str(caught.value) == "meeting/update: the answer is not WeCom JSON"


def test_it_raises_a_redirect_as_transient_without_following_it(sandbox, make_client):
    """A proxy or gateway that answers with a redirect is not WeCom: the call fails and
    says so, and the credentials in its query string are not sent on."""

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", f"{sandbox.url}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        wecom = make_client(base_url=f"http://127.0.0.1:{server.server_port}")
        sandbox.clear_requests()
        with pytest.raises(TransientError) as caught:
            wecom.meeting_update({"meetingid": "any"})
    finally:
        server.shutdown()
        server.server_close()

    assert str(caught.value) == "gettoken: HTTP 302"
    assert not caught.value.maybe_applied
    assert sandbox.requests() == []


def test_it_raises_a_timeout_as_transient_that_may_have_been_applied(sandbox, make_client):
    wecom = make_client(read_timeout=0.5)
    wecom.tokens.get()
    sandbox.fault(path="meeting/update", kind="timeout", value=2)

    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        wecom.meeting_update({"meetingid": "any"})

    assert time.monotonic() - started < 1.5
    assert caught.value.errcode is None
    assert caught.value.maybe_applied
    assert "no answer within 0.5 s" in str(caught.value)


def test_it_raises_a_dropped_connection_as_transient(sandbox, wecom):
    sandbox.fault(path="meeting/update", kind="disconnect")

    with pytest.raises(TransientError) as caught:
        wecom.meeting_update({"meetingid": "any"})

    assert caught.value.errcode is None
    assert caught.value.maybe_applied


def test_it_raises_a_refused_connection_as_transient_and_not_applied(make_client):
    wecom = make_client(base_url="http://127.0.0.1:1")

    with pytest.raises(TransientError) as caught:
        wecom.meeting_update({"meetingid": "any"})

    assert caught.value.path == "gettoken"
    assert not caught.value.maybe_applied


def test_it_logs_each_call_with_its_path_errcode_and_duration(sandbox, wecom, caplog):
    caplog.set_level(logging.INFO, logger="wecom.client")
    sandbox.fault(path="meeting/update", kind="errcode", value=-1)

    wecom.meeting_get_user_meetingid("zhangsan")
    with pytest.raises(TransientError):
        wecom.meeting_update({"meetingid": "any"})

    messages = [r.getMessage() for r in caplog.records if r.name == "wecom.client"]
    assert re.fullmatch(r"GET gettoken: errcode 0, \d+ ms", messages[0])
    assert re.fullmatch(r"POST meeting/get_user_meetingid: errcode 0, \d+ ms", messages[1])
    assert re.fullmatch(r"POST meeting/update: errcode -1, \d+ ms", messages[2])


def _chain(error):
    """The error and every exception it carries, directly or further down."""
    seen = []
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        pending += [current.__cause__, current.__context__]
    return seen


def test_it_never_lets_a_credential_reach_a_log_or_an_error(sandbox, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    wecom = make_client(read_timeout=0.5)
    meetingid = sandbox.create_meeting()
    raised = []
    for fault in [
        {"kind": "errcode", "value": 40014, "times": 2},
        {"kind": "errcode", "value": 400030},
        {"kind": "http_status", "value": 502},
        {"kind": "timeout", "value": 1},
        {"kind": "disconnect"},
    ]:
        sandbox.fault(path="meeting/update", **fault)
        with pytest.raises(WeComError) as caught:
            wecom.meeting_update({"meetingid": meetingid, "title": "周会"})
        raised.append(caught.value)
    for client in [
        make_client(secret="a-wrong-secret"),
        make_client(secret="another-wrong-secret", base_url="http://127.0.0.1:1"),
    ]:
        with pytest.raises(WeComError) as caught:
            client.meeting_get_info(meetingid)
        raised.append(caught.value)
    token = wecom.tokens.get()

    texts = [caplog.text]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), record.exc_text or ""]
    for error in raised:
        for exception in _chain(error):
            texts += [str(exception), repr(exception)]
        texts.append("".join(traceback.format_exception(error)))
    assert any(r.name == "urllib3.connectionpool" for r in caplog.records)
    for text in texts:
        assert token not in text
        for secret in ("sandbox-secret", "a-wrong-secret", "another-wrong-secret"):
            assert secret not in text
        assert not CREDENTIAL_IN_CLEAR.search(text), text
    assert all(error.__cause__ is None and error.__context__ is None for error in raised)


def test_it_keeps_one_client_per_process_until_the_settings_change(sandbox, settings):
    first = get_client()
    assert get_client() is first
    assert first.base_url == sandbox.url

    settings.WECOM_READ_TIMEOUT = 3
    second = get_client()

    assert second is not first
    assert second.timeout == (settings.WECOM_CONNECT_TIMEOUT, 3)
    assert get_client() is second


def test_it_shows_no_secret_in_its_repr(wecom):
    assert "sandbox-secret" not in repr(wecom)
    assert "sandbox-secret" not in repr(client_module.get_client())


def test_it_reads_the_proxy_from_the_environment_once(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = WeComClient(
        "https://qyapi.example", "wwcorp", "secret", 1, connect_timeout=1, read_timeout=1
    )
    assert client.proxies["https"] == "http://proxy.example:3128"

    monkeypatch.setenv("NO_PROXY", "qyapi.example")
    bypassed = WeComClient(
        "https://qyapi.example", "wwcorp", "secret", 1, connect_timeout=1, read_timeout=1
    )
    assert "https" not in bypassed.proxies
