"""WeCom's per-API call limits (page 90454), kept by every process together through the shared
cache: a budget no minute or hour goes over however WeCom aligns its windows, and a 45009
that pauses its API only."""

import uuid

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from hypothesis import given, settings
from hypothesis import strategies as st

from wecom import limits
from wecom.client import WeComClient
from wecom.errors import TransientError
from wecom.limits import Limits, RateLimited


class Clock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def local_limits(clock, per_minute=70, per_hour=150_000):
    store = LocMemCache(uuid.uuid4().hex, {})
    return Limits("wwtest", store, per_minute, per_hour, clock=clock)


def test_a_spent_budget_refuses_that_api_only_until_its_bucket_ends():
    clock = Clock(1_800_000_003.0)
    shared = local_limits(clock, per_minute=14)  # two calls per ten seconds
    shared.admit("meeting/update")
    shared.admit("meeting/update")
    with pytest.raises(RateLimited) as refused:
        shared.admit("meeting/update")
    assert refused.value.retry_after == 7
    assert isinstance(refused.value, TransientError)
    shared.admit("meeting/get_info")
    clock.now += 7
    shared.admit("meeting/update")


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=0, max_value=4), min_size=50, max_size=400),
    start=st.floats(min_value=0, max_value=3600),
)
def test_no_minute_however_aligned_sees_more_calls_than_the_limit(gaps, start):
    clock = Clock(1_800_000_000.0 + start)
    shared = local_limits(clock, per_minute=70, per_hour=700)
    admitted = []
    for gap in gaps:
        clock.now += gap
        try:
            shared.admit("meeting/update")
        except RateLimited as refused:
            assert 1 <= refused.retry_after <= 600
        else:
            admitted.append(clock.now)
    for index, first in enumerate(admitted):
        in_minute = [t for t in admitted[index:] if t < first + 60]
        in_hour = [t for t in admitted[index:] if t < first + 3600]
        assert len(in_minute) <= 70
        assert len(in_hour) <= 700


@pytest.fixture
def shared_cache(db):
    cache.clear()
    yield cache
    cache.clear()


def client_of(sandbox):
    """A client as another process would build it: its own session, the shared cache."""
    return WeComClient(
        sandbox.url,
        sandbox.corp_id,
        sandbox.secret,
        sandbox.agent_id,
        connect_timeout=2,
        read_timeout=5,
    )


def test_a_45009_pauses_its_api_for_every_process_and_no_other(sandbox, shared_cache):
    meetingid = sandbox.create_meeting(title="周会")
    worker_one, worker_two = client_of(sandbox), client_of(sandbox)
    sandbox.fault(path="meeting/update", kind="errcode", value=45009)
    sandbox.clear_requests()

    with pytest.raises(TransientError) as blocked:
        worker_one.meeting_update({"meetingid": meetingid, "title": "周会（改）"})
    assert blocked.value.errcode == 45009
    # WeCom's documented block for a broken minute (90454).
    assert blocked.value.retry_after == limits.BLOCK_SECONDS

    for client in (worker_one, worker_two):
        with pytest.raises(RateLimited) as held:
            client.meeting_update({"meetingid": meetingid, "title": "周会（改）"})
        assert 55 <= held.value.retry_after <= 60
        assert client.meeting_get_info(meetingid)["title"] == "周会"

    updates = sandbox.requests("meeting/update")
    assert len(updates) == 1
    assert len(sandbox.requests("meeting/get_info")) == 2


def test_the_settings_set_the_budget_of_the_process_client(settings, shared_cache):
    from wecom.client import get_client

    settings.WECOM_RATE_PER_MINUTE = 700
    settings.WECOM_RATE_PER_HOUR = 7_000
    assert get_client().limits.windows == [(60, 100), (3600, 1000)]
