"""WeCom's call limits, kept together by every process that calls WeCom.

WeCom counts calls per corp and per API (developer.work.weixin.qq.com/document/path/90454,
"访问频率限制"): "每企业调用单个cgi/api不可超过1万次/分，15万次/小时" (per IP: 20,000 a minute,
600,000 an hour, which the per-corp limit keeps too). A call over it is answered 45009 and
the API is blocked for the window that was broken: "按分钟拦截则被屏蔽60秒，按小时拦截则被屏蔽
60分钟". The block is per API, so one API's block must not stop the others.

So, per API:

- a budget: calls are counted in buckets of a tenth of the window in the shared cache (Redis
  in production, where INCR is atomic), and each bucket takes a seventh of the limit. However
  WeCom aligns its window, a minute overlaps at most seven ten-second buckets (an hour, seven
  ten-minute ones), so all workers together stay under the limit;
- a pause after WeCom answers 45009, for the block WeCom documents (a minute: an hour's
  block would show again as 45009 after it, and the budget keeps the hour anyway).

App messages have limits of their own (90454, "发送应用消息频率"; 90236): an app may send
each member at most 30 messages a minute and 1000 an hour, and WeCom drops the rest without
delivering them. `admit_recipients` keeps that budget per member, counted the same way.

A call refused here raises RateLimited (a TransientError: nothing was sent) with retry_after,
the seconds until the API may be called again.
"""

import math
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


class RateLimited(TransientError):
    """Not sent: the API is paused after a 45009, or its share of WeCom's limit is spent."""

    @property
    def message(self):
        return _("WeCom's call limit for this kind of change is reached. "
                 "The change will be sent again shortly.")


class Limits:
    """The shared budget and pauses of one corp's APIs, in `cache` (Django's)."""

    def __init__(self, corp_id, cache, per_minute=PER_MINUTE, per_hour=PER_HOUR,
                 clock=time.time):
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

    def admit(self, path):
        """Count one call to `path`, or raise RateLimited without counting it as sent."""
        now = self.clock()
        paused_until = self.cache.get(self._pause_key(path))
        if paused_until is not None and paused_until > now:
            raise self._refusal(path, paused_until - now, "paused after WeCom's 45009")
        self._spend(path, f"{self.prefix}:{path}", self.windows, now)

    def admit_recipients(self, path, agent_id, userids):
        """Count one app message to each member, or raise RateLimited when one of them has
        had the messages WeCom lets an app send a member (see the module's docstring)."""
        now = self.clock()
        for userid in userids:
            # WeCom's userids are not case-sensitive.
            prefix = f"{self.prefix}:{path}:{agent_id}:{userid.lower()}"
            self._spend(path, prefix, self.member_windows, now)

    def _spend(self, path, prefix, windows, now):
        for window, budget in windows:
            span = window / BUCKETS
            bucket = math.floor(now / span)
            key = f"{prefix}:{window}:{bucket}"
            # Created with its lifetime, then incremented: INCR keeps the lifetime in Redis.
            self.cache.add(key, 0, timeout=math.ceil(span) + 5)
            try:
                count = self.cache.incr(key)
            except ValueError:
                # Expired between the two calls: this call starts the bucket's count.
                self.cache.add(key, 1, timeout=math.ceil(span) + 5)
                count = 1
            if count > budget:
                wait = (bucket + 1) * span - now
                raise self._refusal(path, wait, f"over {budget} calls in {span:g} s")

    def pause(self, path, seconds=BLOCK_SECONDS):
        """Stop every process calling `path` for `seconds` (WeCom answered 45009)."""
        until = self.clock() + seconds
        self.cache.set(self._pause_key(path), until, timeout=math.ceil(seconds) + 1)
        return seconds

    def _pause_key(self, path):
        return f"{self.prefix}:{path}:paused-until"

    def _refusal(self, path, wait, why):
        retry_after = max(1, math.ceil(wait))
        return RateLimited(path, description=f"not sent, {why}", retry_after=retry_after)
