"""The shared token cache, against the project's real cache and a stand-in for gettoken."""

import threading
import time
import uuid

import pytest
from django.core.cache import cache
from django.db import connections

from wecom.errors import ConfigurationError, TransientError
from wecom.tokens import TokenCache

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


def test_it_refreshes_five_minutes_before_expiry():
    clock = Clock()
    fetch = GetToken(expires_in=7200)
    tokens = make_tokens(fetch, clock=clock)
    assert tokens.get() == "token-1"
    clock.now += 7200 - 301
    assert tokens.get() == "token-1"
    clock.now += 2
    assert tokens.get() == "token-2"


def test_it_refreshes_short_lifetimes_a_tenth_early():
    clock = Clock()
    fetch = GetToken(expires_in=600)
    tokens = make_tokens(fetch, clock=clock)
    tokens.get()
    clock.now += 539
    assert tokens.get() == "token-1"
    clock.now += 2
    assert tokens.get() == "token-2"


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
    for _ in range(3):
        with pytest.raises(ConfigurationError) as caught:
            tokens.get()
        assert caught.value.errcode == 40001
    assert fetch.calls == 1
