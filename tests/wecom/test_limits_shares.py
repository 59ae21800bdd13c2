"""What the call limits (wecom/limits.py) cost each call: the budget is taken from the shared
cache a few calls at a time, and every process together still stays within it."""

import uuid

from django.core.cache.backends.locmem import LocMemCache

from wecom.client import WeComClient
from wecom.limits import SHARE, Limits, RateLimited


class CountingCache(LocMemCache):
    """A process-local cache that counts the trips made to it."""

    def __init__(self):
        super().__init__(uuid.uuid4().hex, {})
        self.trips = 0

    def get(self, *args, **kwargs):
        self.trips += 1
        return super().get(*args, **kwargs)

    def get_many(self, keys, *args, **kwargs):
        # One trip, although the local cache reads each key with get.
        found = super().get_many(keys, *args, **kwargs)
        self.trips -= len(keys) - 1
        return found

    def incr(self, *args, **kwargs):
        self.trips += 1
        return super().incr(*args, **kwargs)

    def add(self, *args, **kwargs):
        self.trips += 1
        return super().add(*args, **kwargs)


def test_processes_take_the_budget_in_shares_and_together_stay_within_it():
    store = CountingCache()
    now = 1_800_000_003.0
    # 7,000 a minute: 1,000 calls for each ten-second bucket, taken SHARE at a time.
    one, two = (Limits("wwtest", store, 7_000, 10**7, clock=lambda: now) for _ in range(2))
    for number in range(900):
        (one if number % 2 else two).admit("meeting/update")
    # A pause read for each call; a share of the minute's and of the hour's budget each
    # SHARE calls of each process.
    assert store.trips <= 900 + 2 * (900 // SHARE + 2)

    admitted = 900
    for number in range(300):
        try:
            (one if number % 2 else two).admit("meeting/update")
        except RateLimited:
            continue
        admitted += 1
    # At most a share of each process left unused when the bucket ran out.
    assert 1_000 - 2 * SHARE <= admitted <= 1_000


def test_a_call_reads_its_token_and_its_pause_in_one_trip(sandbox):
    store = CountingCache()
    wecom = WeComClient(
        sandbox.url,
        sandbox.corp_id,
        sandbox.secret,
        sandbox.agent_id,
        connect_timeout=2,
        read_timeout=5,
        cache=store,
    )
    meetingid = sandbox.create_meeting(title="周会")
    wecom.meeting_get_info(meetingid)
    store.trips = 0

    for _ in range(20):
        wecom.meeting_get_info(meetingid)

    # One get_many a call, and a share of the minute's and of the hour's budget now and then.
    assert store.trips <= 20 + 2 * (20 // SHARE + 1)
