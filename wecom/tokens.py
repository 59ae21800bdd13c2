"""The access_token, one per WeCom app, shared by every process through the Django cache.

WeCom hands out a token valid for `expires_in` seconds (7200) and wants it reused: fetching
it per process or per call wastes the gettoken quota, and the public SDKs that refresh per
process overwrite newer tokens with older ones. So the token lives in the shared cache, and
only one caller at a time fetches it: one thread per process (a threading lock), one process
per app (a lock built on `cache.add`, which is atomic on the database cache and on Redis).
Whoever takes the lock reads the cache again first, because the previous holder has usually
just stored a fresh token.

A token is fetched once per lifetime, after it ends, not before: during its lifetime gettoken
answers with the same token and what is left of it (doc 91039: 有效期内重复获取返回相同结果,
过期后获取会返回新的access_token), so an early refresh costs a call and gains nothing. Its
last seconds are not used either (`SEND_GUARD`): a call sent then could reach WeCom after the
end and be refused as expired (42001). A caller that finds the token in those seconds waits
them out and then fetches the next one. The expiry is counted from when the answer arrived,
which is never earlier than WeCom's own.

A secret WeCom refuses (gettoken answers 40001, 40013 or 40091) is held for REFUSAL_HOLD
seconds: WeCom blocks an IP for an hour after repeated bad secrets, so gettoken is not asked
again before then. The call that asked gets WeCom's answer (ConfigurationError); a call made
during the hold is not sent, and gets SecretHold, held back as the call limits hold a call
back (RateLimited): WeCom did not answer it, so it is waited out, not failed with an errcode
WeCom gave another call earlier.

Do not call this inside a database transaction when the cache is the database: the lock row
would stay invisible to the other processes until the transaction commits.
"""

import hashlib
import logging
import math
import threading
import time
import uuid
from datetime import UTC, datetime

from django.core.cache import cache as default_cache
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from wecom.errors import ConfigurationError, transport_error
from wecom.limits import RateLimited

logger = logging.getLogger("wecom.tokens")

# No call is sent with a token in its last seconds (or last tenth, for a short lifetime):
# more than a request takes to reach WeCom, so that none arrives after the token ended.
SEND_GUARD = 3
POLL_INTERVAL = 0.05
# WeCom blocks an IP for an hour after repeated bad secrets. A refused secret is remembered
# for this long, so a queue of calls asks gettoken once instead of once per call: the calls
# made meanwhile are not sent (SecretHold) and wait until it is over.
REFUSAL_HOLD = 60

_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def _local_lock(key):
    with _local_locks_guard:
        return _local_locks.setdefault(key, threading.Lock())


class SecretHold(RateLimited):
    """Not sent: WeCom refused the app's secret (or corp ID) at `refused_at`, and gettoken is
    not asked again before `until` (unix seconds both, REFUSAL_HOLD apart). Like a call the
    limits hold back, it is waited out (`retry_after`) without counting a try: the refusal
    was WeCom's answer to an earlier gettoken, not to this call."""

    def __init__(self, path, refused_at, until, errcode=None, *, now=None):
        self.refused_at = refused_at
        self.until = until
        self.refused_errcode = errcode
        now = time.time() if now is None else now
        super().__init__(
            path,
            description=(
                f"not sent: WeCom refused the app's secret or corp ID at "
                f"{clock_time(refused_at)} (gettoken errcode {errcode}); "
                f"WeCom is asked again after {clock_time(math.ceil(until))}"
            ),
            retry_after=max(1, math.ceil(until - now)),
        )

    def __reduce__(self):
        # Celery pickles exceptions (see WeComError.__reduce__).
        args = (self.path, self.refused_at, self.until, self.refused_errcode)
        return (type(self), args, self.__dict__)

    @property
    def message(self):
        return format_lazy(
            _(
                "Not sent: WeCom refused the app's corp ID or secret at {refused_at}. "
                "WeCom is asked again after {until}."
            ),
            refused_at=clock_time(self.refused_at),
            until=clock_time(math.ceil(self.until)),
        )


def clock_time(unix):
    """Unix seconds as the local time of day, HH:MM:SS."""
    return timezone.localtime(datetime.fromtimestamp(unix, tz=UTC)).strftime("%H:%M:%S")


class TokenCache:
    """The cached access_token of one app; `fetch()` returns (access_token, expires_in)."""

    def __init__(
        self,
        corp_id,
        agent_id,
        secret,
        fetch,
        *,
        cache=None,
        lock_ttl=30,
        wait=None,
        clock=time.time,
    ):
        # A hash of the secret in the key: after the secret is changed, a token obtained
        # with the old one is never served again.
        digest = hashlib.sha256(secret.encode()).hexdigest()[:12]
        self.key = f"wecom:access_token:{corp_id}:{agent_id}:{digest}"
        self.lock_key = f"{self.key}:lock"
        self.refusal_key = f"{self.key}:refused"
        self._fetch = fetch
        self._cache = cache
        # The lock outlives a stuck holder by its TTL only, so it must cover one gettoken.
        self.lock_ttl = lock_ttl
        self.wait = wait if wait is not None else lock_ttl + 5
        # Wall-clock time, not monotonic: the stored times are compared across processes.
        self._clock = clock
        self._thread_lock = _local_lock(self.key)

    @property
    def cache(self):
        return default_cache if self._cache is None else self._cache

    def get(self, read=None, path="gettoken"):
        """A token that is not about to expire, fetching one when needed. `read`: the cache's
        value for `self.key`, when the caller has just read it with other keys in one trip.
        `path`: the call the token is for, which a SecretHold names as not sent."""
        entry = self._read() if read is None else self._entry(read)
        if self._fresh(entry):
            return entry["token"]
        if entry is not None:
            # Its last seconds: WeCom would answer a gettoken with this same token, so wait
            # until it has ended and the next gettoken brings a new one.
            time.sleep(max(0.0, entry["expires_at"] - self._clock()))
        if not self._thread_lock.acquire(timeout=self.wait):
            raise self._gave_up()
        try:
            return self._refresh(path)
        finally:
            self._thread_lock.release()

    def invalidate(self, token):
        """Forget token after WeCom refused it, unless the cache already holds another one."""
        entry = self._read()
        # Another process may have refreshed already; deleting its fresh token would make
        # every process fetch again. The read and the delete are not atomic: the worst case
        # is one extra gettoken.
        if entry is not None and entry["token"] == token:
            self.cache.delete(self.key)
            logger.info("access_token dropped after WeCom refused it")

    def _refresh(self, path):
        deadline = time.monotonic() + self.wait
        while True:
            entry = self._read()
            if self._fresh(entry):
                return entry["token"]
            self._raise_if_refused(path)
            owner = uuid.uuid4().hex
            # Looking before adding: on the database cache an add is a write transaction,
            # and the waiters poll.
            if self.cache.get(self.lock_key) is None and self.cache.add(
                self.lock_key, owner, self.lock_ttl
            ):
                try:
                    entry = self._read()
                    if self._fresh(entry):
                        return entry["token"]
                    # The previous holder may have been refused since this caller looked.
                    self._raise_if_refused(path)
                    return self._fetch_and_store()
                finally:
                    self._release(owner)
            if time.monotonic() >= deadline:
                raise self._gave_up()
            time.sleep(POLL_INTERVAL)

    def _fetch_and_store(self):
        try:
            token, expires_in = self._fetch()
        except ConfigurationError as exc:
            # WeCom's answer goes to this caller as it came; the callers of the next
            # REFUSAL_HOLD seconds are told that theirs were not sent (_raise_if_refused).
            refused_at = self._clock()
            refusal = {
                "errcode": exc.errcode,
                "errmsg": exc.errmsg,
                "at": refused_at,
                "until": refused_at + REFUSAL_HOLD,
            }
            self.cache.set(self.refusal_key, refusal, REFUSAL_HOLD)
            raise
        now = self._clock()
        guard = min(SEND_GUARD, expires_in / 10)
        # expires_in is in whole seconds, rounded either way: the token may end a second
        # before the count, and surely has a second after it (not before then does a
        # gettoken bring a new one).
        entry = {
            "token": token,
            "send_until": now + expires_in - 1 - guard,
            "expires_at": now + expires_in + 1,
        }
        self.cache.set(self.key, entry, max(1, int(expires_in)))
        logger.info("access_token fetched, valid for %s s", expires_in)
        return token

    def _raise_if_refused(self, path):
        """SecretHold while a refusal of the secret is held: `path` is not sent, and WeCom is
        not asked for a token either."""
        refusal = self.cache.get(self.refusal_key)
        if not isinstance(refusal, dict) or "until" not in refusal:
            return
        now = self._clock()
        if now < refusal["until"]:
            raise SecretHold(path, refusal["at"], refusal["until"], refusal["errcode"], now=now)

    def _release(self, owner):
        # Only the holder deletes: a holder that outlived the TTL must not free the lock of
        # the process that took it over.
        if self.cache.get(self.lock_key) == owner:
            self.cache.delete(self.lock_key)

    def _read(self):
        return self._entry(self.cache.get(self.key))

    @staticmethod
    def _entry(entry):
        if isinstance(entry, dict) and {"token", "send_until", "expires_at"} <= entry.keys():
            return entry
        return None

    def _fresh(self, entry):
        return entry is not None and self._clock() < entry["send_until"]

    def _gave_up(self):
        return transport_error(
            "gettoken", f"no access_token within {self.wait} s: another caller holds the lock"
        )
