"""The shared token cache, against the project's real cache and a stand-in for gettoken."""

import threading
import time
import uuid

import pytest
from django.core.cache import cache
from django.db import connections

from wecom import tokens as tokens_module
from wecom.errors import ConfigurationError, TransientError, WeComError
from wecom.tokens import REFUSAL_HOLD, TokenCache

pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


class GetToken:
    """Counts fetches and hands out numbered tokens."""

    def __init__(self, expires_in=7200, delay=0.0, error=None):
        self.expires_in = expires_in
        self.delay = delay
        self.error = error
        self.calls = 0
        self._guard = threading.Lock()

    def __call__(self):
        with self._guard:
            self.calls += 1
            number = self.calls
        time.sleep(self.delay)
        if self.error:
            raise self.error
        return f"token-{number}", self.expires_in


def make_tokens(fetch, corp_id=None, secret="secret", **options):
    # A corp id of its own per test keeps each test's keys apart in the shared cache.
    return TokenCache(corp_id or f"ww{uuid.uuid4().hex[:8]}", 1000002, secret, fetch, **options)


def test_it_fetches_once_and_reuses_the_token():
    fetch = GetToken()
    tokens = make_tokens(fetch)
    assert [tokens.get() for _ in range(5)] == ["token-1"] * 5
    assert fetch.calls == 1


def test_it_shares_the_token_between_clients_of_the_same_app():
    fetch = GetToken()
    first = make_tokens(fetch, corp_id="wwshared")
    second = make_tokens(fetch, corp_id="wwshared")
    assert first.get() == second.get() == "token-1"
    assert fetch.calls == 1


def test_it_does_not_reuse_a_token_after_the_secret_changed():
    fetch = GetToken()
    assert make_tokens(fetch, corp_id="wwsecret", secret="old").get() == "token-1"
    assert make_tokens(fetch, corp_id="wwsecret", secret="new").get() == "token-2"


class WeComGetToken(GetToken):
    """As WeCom answers (doc 91039): the same token, with what is left of it, until it ends."""

    def __init__(self, clock, expires_in=7200):
        super().__init__(expires_in)
        self.clock = clock
        self.issued = 0
        self.ends = None

    def __call__(self):
        self.calls += 1
        if self.ends is None or self.clock() >= self.ends:
            self.issued += 1
            self.ends = self.clock() + self.expires_in
        # Rounded down, the less convenient way: the token lives a little past the count.
        return f"token-{self.issued}", int(self.ends - self.clock())


def test_it_fetches_the_next_token_only_once_the_current_one_has_ended():
    clock = Clock()
    fetch = WeComGetToken(clock)
    tokens = make_tokens(fetch, clock=clock)
    assert tokens.get() == "token-1"
    clock.now += 7200 - 6
    assert tokens.get() == "token-1"
    assert fetch.calls == 1
    clock.now += 6
    assert tokens.get() == "token-2"
    assert fetch.calls == 2


class RunningClock:
    """Real time, moved forward at will: a wait in the code under test moves it too."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self):
        return time.time() + self.offset


def test_it_waits_out_a_tokens_last_seconds_instead_of_sending_it():
    clock = RunningClock()
    fetch = WeComGetToken(clock, expires_in=20)
    tokens = make_tokens(fetch, clock=clock)
    assert tokens.get() == "token-1"
    # Within the last tenth of a 20 s token: a call sent now could arrive after its end.
    clock.offset += 19
    started = time.monotonic()
    assert tokens.get() == "token-2"
    assert time.monotonic() - started >= 0.9
    # One gettoken for each token: none while WeCom would still answer with the first.
    assert fetch.calls == 2


def test_a_token_answered_part_used_is_kept_for_what_is_left_of_it():
    clock = Clock()
    fetch = WeComGetToken(clock)
    # Another deployment fetched it an hour ago.
    fetch()
    clock.now += 3600
    tokens = make_tokens(fetch, clock=clock)
    assert tokens.get() == "token-1"
    clock.now += 3600 - 6
    assert tokens.get() == "token-1"
    clock.now += 6
    assert tokens.get() == "token-2"
    assert fetch.calls == 3


def test_it_invalidates_only_the_token_still_cached():
    fetch = GetToken()
    tokens = make_tokens(fetch)
    assert tokens.get() == "token-1"
    tokens.invalidate("some-older-token")
    assert tokens.get() == "token-1"
    tokens.invalidate("token-1")
    assert tokens.get() == "token-2"
    assert fetch.calls == 2


def test_it_fetches_once_for_many_threads_at_once():
    fetch = GetToken(delay=0.2)
    tokens = make_tokens(fetch)
    barrier = threading.Barrier(20)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(tokens.get())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["token-1"] * 20
    assert fetch.calls == 1


def test_it_waits_for_the_process_that_holds_the_lock():
    fetch = GetToken()
    tokens = make_tokens(fetch)
    other = make_tokens(GetToken(), corp_id=tokens.key.split(":")[2])
    assert cache.add(tokens.lock_key, "another process", 30)

    def other_process_finishes():
        time.sleep(0.3)
        try:
            other._fetch_and_store()
            cache.delete(tokens.lock_key)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_process_finishes)
    thread.start()
    assert tokens.get() == "token-1"
    thread.join()
    assert fetch.calls == 0


def test_it_gives_up_waiting_after_its_bound():
    fetch = GetToken()
    tokens = make_tokens(fetch, wait=0.3)
    cache.add(tokens.lock_key, "a stuck process", 30)
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        tokens.get()
    assert time.monotonic() - started < 2
    assert caught.value.path == "gettoken"
    assert fetch.calls == 0


def test_it_serves_the_current_token_while_another_process_refreshes():
    clock = Clock()
    fetch = GetToken()
    tokens = make_tokens(fetch, clock=clock, wait=0.3)
    assert tokens.get() == "token-1"
    clock.now += 7200 - 60
    cache.add(tokens.lock_key, "the refreshing process", 30)
    assert tokens.get() == "token-1"
    assert fetch.calls == 1


def test_it_remembers_a_refused_secret_for_a_while():
    fetch = GetToken(error=ConfigurationError("gettoken", 40001, "invalid credential"))
    tokens = make_tokens(fetch)
    with pytest.raises(ConfigurationError) as caught:
        tokens.get()
    assert caught.value.errcode == 40001
    for _ in range(3):
        with pytest.raises(tokens_module.SecretHold):
            tokens.get()
    assert fetch.calls == 1


def test_a_call_during_the_hold_is_not_sent_nor_given_wecom_s_earlier_answer():
    clock = Clock()
    fetch = GetToken(error=ConfigurationError("gettoken", 40001, "invalid credential"))
    tokens = make_tokens(fetch, clock=clock)
    with pytest.raises(ConfigurationError):
        tokens.get(path="meeting/get_info")
    refused_at = clock.now

    clock.now += 15
    with pytest.raises(WeComError) as held:
        tokens.get(path="meeting/get_info")

    # WeCom answered the gettoken of 15 s ago, not this call: no errcode, and the words say
    # it was not sent, when WeCom refused, and that it waits for the hold's end.
    error = held.value
    assert not isinstance(error, ConfigurationError)
    assert error.errcode is None
    assert error.path == "meeting/get_info"
    assert error.retry_after == REFUSAL_HOLD - 15
    assert str(error).startswith("meeting/get_info: not sent: WeCom refused the app's secret")
    assert f"at {tokens_module.clock_time(refused_at)}" in str(error)
    assert isinstance(error, tokens_module.SecretHold)
    assert fetch.calls == 1

    # Once the hold is over, WeCom is asked again, and its answer is the one that counts.
    fetch.error = None
    clock.now = refused_at + REFUSAL_HOLD
    assert tokens.get() == "token-2"
    assert fetch.calls == 2


def test_a_refusal_held_by_the_sandbox_s_one_40001_ends_with_a_token(
    sandbox, make_client, monkeypatch
):
    """The sandbox refuses one gettoken: the calls made during the hold never reach it, and
    the first after the hold gets a token and its answer."""
    monkeypatch.setattr(tokens_module, "REFUSAL_HOLD", 1)
    wecom = make_client()
    sandbox.fault(path="gettoken", kind="errcode", value=40001, times=1)

    with pytest.raises(ConfigurationError) as answered:
        wecom.meeting_get_user_meetingid("zhangsan")
    with pytest.raises(WeComError) as held:
        wecom.meeting_get_user_meetingid("zhangsan")

    assert answered.value.errcode == 40001
    assert held.value.errcode is None
    assert held.value.path == "meeting/get_user_meetingid"
    assert [(r["path"], r["errcode"]) for r in sandbox.requests()] == [("gettoken", 40001)]

    time.sleep(held.value.retry_after)
    assert wecom.meeting_get_user_meetingid("zhangsan")["errcode"] == 0
    assert [(r["path"], r["errcode"]) for r in sandbox.requests()] == [
        ("gettoken", 40001),
        ("gettoken", 0),
        ("meeting/get_user_meetingid", 0),
    ]


def test_callers_in_several_threads_fetch_each_sandbox_token_once_and_never_send_one_expired(
    sandbox, make_client
):
    """Against the sandbox with 3-second tokens, callers that never stop for 7 seconds."""
    sandbox.configure(token_lifetime=3)
    # Callers that never pause pass WeCom's 10,000 calls a minute on a fast machine: the
    # budget is lifted here, where only the tokens are looked at (tests/wecom/test_limits*).
    clients = [make_client(per_minute=10**6, per_hour=10**7) for _ in range(4)]
    clients[0].tokens.get()
    stop = time.monotonic() + 7
    failures = []

    def caller(client):
        try:
            while time.monotonic() < stop:
                client.meeting_get_user_meetingid("zhangsan")
        except Exception as error:  # noqa: BLE001 - reported below, with its thread's name
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=caller, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    log = sandbox.requests()
    assert len(log) > 40
    issued = len(sandbox.sandbox.tokens)
    assert issued >= 3
    assert len(sandbox.requests("gettoken")) == issued
    assert [entry for entry in log if entry["errcode"] in (40014, 42001)] == []
