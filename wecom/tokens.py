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

Do not call this inside a database transaction when the cache is the database: the lock row
would stay invisible to the other processes until the transaction commits.
"""

import hashlib
import logging
import threading
import time
import uuid

from django.core.cache import cache as default_cache

from wecom.errors import ConfigurationError, error_for, transport_error

logger = logging.getLogger("wecom.tokens")

# No call is sent with a token in its last seconds (or last tenth, for a short lifetime):
# more than a request takes to reach WeCom, so that none arrives after the token ended.
SEND_GUARD = 3
POLL_INTERVAL = 0.05
# WeCom blocks an IP for an hour after repeated bad secrets. A refused secret is remembered
# for this long, so a queue of calls asks gettoken once instead of once per call.
REFUSAL_HOLD = 60

_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def _local_lock(key):
    with _local_locks_guard:
        return _local_locks.setdefault(key, threading.Lock())


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

    def get(self, read=None):
        """A token that is not about to expire, fetching one when needed. `read`: the cache's
        value for `self.key`, when the caller has just read it with other keys in one trip."""
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
            return self._refresh()
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

    def _refresh(self):
        deadline = time.monotonic() + self.wait
        while True:
            entry = self._read()
            if self._fresh(entry):
                return entry["token"]
            self._raise_if_refused()
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
            self.cache.set(
                self.refusal_key, {"errcode": exc.errcode, "errmsg": exc.errmsg}, REFUSAL_HOLD
            )
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

    def _raise_if_refused(self):
        refusal = self.cache.get(self.refusal_key)
        if refusal is not None:
            raise error_for("gettoken", refusal["errcode"], refusal["errmsg"])

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
