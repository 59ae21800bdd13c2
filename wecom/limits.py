"""WeCom's call limits, kept together by every process that calls WeCom.

WeCom counts calls per corp and per API (developer.work.weixin.qq.com/document/path/90454,
"访问频率限制"): "每企业调用单个cgi/api不可超过1万次/分，15万次/小时" (per IP: 20,000 a minute,
600,000 an hour, which the per-corp limit keeps too). A call over it is answered 45009 and
the API is blocked for the window that was broken: "按分钟拦截则被屏蔽60秒，按小时拦截则被屏蔽
60分钟". The block is per API, so one API's block must not stop the others.

So, per API:

- a budget: calls are counted in buckets of a sixth of the window in the shared cache (Redis
  in production, where INCR is atomic), and each bucket takes a seventh of the limit. However
  WeCom aligns its window, a minute overlaps at most seven ten-second buckets (an hour, seven
  ten-minute ones), so all workers together stay under the limit. A process takes its calls
  from a bucket a few at a time (`SHARE`), so that most calls cost no trip to the cache; what
  it took and did not use is lost with the bucket, which only ever leaves WeCom's limit
  further away;
- a pause after WeCom answers 45009, for the block WeCom documents (a minute: an hour's
  block would show again as 45009 after it, and the budget keeps the hour anyway).

App messages have limits of their own (90454, "发送应用消息频率"; 90236): an app may send
each member at most 30 messages a minute and 1000 an hour, and WeCom drops the rest without
delivering them. `admit_recipients` keeps that budget per member, counted the same way.

A call refused here raises RateLimited (a TransientError: nothing was sent) with retry_after,
the seconds until the API may be called again.
"""

import math
import threading
import time

from django.utils.translation import gettext_lazy as _

from wecom.errors import TransientError

# developer.work.weixin.qq.com/document/path/90454: per corp and per API.
PER_MINUTE = 10_000
PER_HOUR = 150_000
# 90454: a per-minute block lasts 60 seconds.
BLOCK_SECONDS = 60
# A window is counted in this many buckets; any window overlaps one more than that.
BUCKETS = 6
FREQUENCY_LIMITED = 45009
# 90454: per app and member, messages a minute and an hour.
MESSAGES_PER_MEMBER_MINUTE = 30
MESSAGES_PER_MEMBER_HOUR = 1000
# Calls a process takes from a bucket at once: at most this many, and never more than a
# hundredth of the bucket, so that the calls taken and left unused by idle processes cost
# little of the budget (one call at a time for a small budget, as in the tests).
SHARE = 10
# admit's paused_until when the caller has not read it.
UNREAD = object()


class RateLimited(TransientError):
    """Not sent: the API is paused after a 45009, or its share of WeCom's limit is spent."""

    @property
    def message(self):
        return _(
            "WeCom's call limit for this kind of change is reached. "
            "The change will be sent again shortly."
        )


class Limits:
    """The shared budget and pauses of one corp's APIs, in `cache` (Django's)."""

    def __init__(self, corp_id, cache, per_minute=PER_MINUTE, per_hour=PER_HOUR, clock=time.time):
        self.prefix = f"wecom:limits:{corp_id}"
        self.cache = cache
        self.clock = clock
        # (window seconds, calls per bucket)
        self.windows = [
            (60, max(1, per_minute // (BUCKETS + 1))),
            (3600, max(1, per_hour // (BUCKETS + 1))),
        ]
        self.member_windows = [
            (60, max(1, MESSAGES_PER_MEMBER_MINUTE // (BUCKETS + 1))),
            (3600, max(1, MESSAGES_PER_MEMBER_HOUR // (BUCKETS + 1))),
        ]
        # (path, window) -> (bucket, calls this process took from it and has not made yet)
        self._taken = {}
        self._guard = threading.Lock()

    def admit(self, path, paused_until=UNREAD):
        """Count one call to `path`, or raise RateLimited without counting it as sent.
        `paused_until`: the value of `pause_key(path)`, when the caller has just read it."""
        now = self.clock()
        if paused_until is UNREAD:
            paused_until = self.cache.get(self.pause_key(path))
        if paused_until is not None and paused_until > now:
            raise self._refusal(path, paused_until - now, "paused after WeCom's 45009")
        for window, budget in self.windows:
            span = window / BUCKETS
            bucket = math.floor(now / span)
            if not self._take(path, window, bucket, budget, span):
                wait = (bucket + 1) * span - now
                raise self._refusal(path, wait, f"over {budget} calls in {span:g} s")

    def admit_recipients(self, path, agent_id, userids):
        """Count one app message to each member, or raise RateLimited when one of them has
        had the messages WeCom lets an app send a member (see the module's docstring). Counted
        one by one, not in shares: a member's budget is small."""
        now = self.clock()
        for userid in userids:
            # WeCom's userids are not case-sensitive.
            prefix = f"{self.prefix}:{path}:{agent_id}:{userid.lower()}"
            for window, budget in self.member_windows:
                span = window / BUCKETS
                bucket = math.floor(now / span)
                if self._count(f"{prefix}:{window}:{bucket}", 1, span) > budget:
                    wait = (bucket + 1) * span - now
                    raise self._refusal(path, wait, f"over {budget} messages in {span:g} s")

    def _take(self, path, window, bucket, budget, span):
        """One call from this process's share of the bucket, taking a new share from the
        shared count when it is used up; False when the bucket is spent."""
        with self._guard:
            held_bucket, left = self._taken.get((path, window), (None, 0))
            if held_bucket == bucket and left > 0:
                self._taken[path, window] = (bucket, left - 1)
                return True
            share = max(1, min(SHARE, budget // 100))
            count = self._count(f"{self.prefix}:{path}:{window}:{bucket}", share, span)
            granted = min(share, budget - (count - share))
            self._taken[path, window] = (bucket, max(0, granted - 1))
            return granted > 0

    def _count(self, key, share, span):
        """Add `share` to the bucket's shared count; the count after it."""
        try:
            return self.cache.incr(key, share)
        except ValueError:
            pass
        # The bucket's first share: created with its lifetime (INCR keeps it in Redis).
        if self.cache.add(key, share, timeout=math.ceil(span) + 5):
            return share
        return self.cache.incr(key, share)

    def pause(self, path, seconds=BLOCK_SECONDS):
        """Stop every process calling `path` for `seconds` (WeCom answered 45009)."""
        until = self.clock() + seconds
        self.cache.set(self.pause_key(path), until, timeout=math.ceil(seconds) + 1)
        return seconds

    def pause_key(self, path):
        return f"{self.prefix}:{path}:paused-until"

    def _refusal(self, path, wait, why):
        retry_after = max(1, math.ceil(wait))
        return RateLimited(path, description=f"not sent, {why}", retry_after=retry_after)
