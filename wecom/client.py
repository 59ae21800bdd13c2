"""The one way this project talks to WeCom.

Every caller uses the typed endpoint methods below: each builds its documented body and hands
it to `_call`, which takes the shared access_token, POSTs the JSON body, and turns the answer
into its decoded JSON (errcode 0) or a typed error from wecom.errors. A caller that keeps its
own record of each call (the sync worker's attempts) asks for `observed(observer)`.

Nothing here logs a request body: meeting bodies carry passwords and host keys.
"""

from __future__ import annotations

import copy
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.cache.backends.base import BaseCache
from urllib3.exceptions import NewConnectionError

from wecom import limits
from wecom import logging as wecom_logging
from wecom.errors import TokenError, WeComError, error_for, transport_error
from wecom.tokens import TokenCache

logger = logging.getLogger("wecom.client")

# An observer of calls (see WeComClient.observed): told of each call before it is sent, it
# returns what to tell once the answer, or the error, is known.
Done = Callable[[dict[str, Any] | None, WeComError | None], None]
Observer = Callable[[str, dict[str, Any]], Done]

# meeting/get_user_meetingid accepts at most 180 days between begin_time and end_time.
USER_MEETINGID_SPAN = 180 * 86400
USER_MEETINGID_LIMIT = 100
CALENDAR_GET_LIMIT = 1000


class WeComClient:
    def __init__(
        self,
        base_url: str,
        corp_id: str,
        secret: str,
        agent_id: int,
        *,
        connect_timeout: float,
        read_timeout: float,
        cache: BaseCache | None = None,
        session: requests.Session | None = None,
        per_minute: int = limits.PER_MINUTE,
        per_hour: int = limits.PER_HOUR,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.corp_id = corp_id
        self.agent_id = agent_id
        self._secret = secret
        self.timeout = (connect_timeout, read_timeout)
        # One session per client keeps connections alive between calls.
        self.session = requests.Session() if session is None else session
        # requests would look through the environment for proxies and CA bundles on every
        # call (a tenth of the worker's CPU). The client only ever calls one host, so that is
        # done once, here: HTTPS_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE still apply. These
        # are what the session would hand its transport adapter on each call (see _send).
        found = self.session.merge_environment_settings(self.base_url, {}, None, None, None)
        self.proxies = found["proxies"]
        # None only from a session set so by its caller: certificates are checked anyway.
        self.verify = True if found["verify"] is None else found["verify"]
        self.cert = found["cert"]
        self._observer: Observer | None = None
        self.tokens = TokenCache(
            corp_id,
            agent_id,
            secret,
            self.gettoken,
            cache=cache,
            lock_ttl=math.ceil(connect_timeout + read_timeout) + 5,
        )
        # Every process keeps WeCom's per-API limits together (wecom/limits.py).
        self.limits = limits.Limits(
            corp_id, default_cache if cache is None else cache, per_minute, per_hour
        )
        # Also done by the app's ready(); repeated here for clients built outside Django's
        # start-up (a shell script), since urllib3 logs the full URL at DEBUG.
        wecom_logging.install()

    def __repr__(self) -> str:
        return f"<WeComClient {self.base_url} corp {self.corp_id} agent {self.agent_id}>"

    def observed(self, observer: Observer) -> WeComClient:
        """This client (same session, token and limits), telling `observer` of each call:
        `observer(path, body)` before it is sent returns `done(answer, error)`, called with
        the decoded answer or the WeComError once it is known."""
        twin = copy.copy(self)
        twin._observer = observer
        return twin

    def _call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self._observer is None:
            return self._post(path, payload)
        done = self._observer(path, payload)
        try:
            answer = self._post(path, payload)
        except WeComError as error:
            done(None, error)
            raise
        done(answer, None)
        return answer

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST payload to cgi-bin/<path>; the decoded answer, or a WeComError."""
        # The token and the API's pause in one trip to the shared cache.
        pause_key = self.limits.pause_key(path)
        found = self.limits.cache.get_many([self.tokens.key, pause_key])
        token = self.tokens.get(found.get(self.tokens.key), path)
        try:
            return self._send(
                "POST",
                path,
                {"access_token": token},
                payload,
                paused_until=found.get(pause_key),
            )
        except TokenError:
            # WeCom may drop a token before its expiry. Refresh and re-send once, never
            # more: a token WeCom keeps refusing must end here, not in a loop.
            self.tokens.invalidate(token)
        logger.info("%s: re-sending with a new access_token", path)
        return self._send("POST", path, {"access_token": self.tokens.get(path=path)}, payload)

    def gettoken(self) -> tuple[str, int]:
        """A new (access_token, expires_in) from WeCom; callers want tokens.get() instead."""
        answer = self._send("GET", "gettoken", {"corpid": self.corp_id, "corpsecret": self._secret})
        token, expires_in = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            raise transport_error("gettoken", "the answer carries no access_token")
        return token, expires_in

    # --- meetings ----------------------------------------------------------------------

    def meeting_create(self, body: dict[str, Any]) -> dict[str, Any]:
        """meetingid, meeting_code, meeting_link, excess_users. Never re-send blindly."""
        return self._call("meeting/create", body)

    def meeting_update(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("meeting/update", body)

    def meeting_cancel(self, meetingid: str, sub_meetingid: str | None = None) -> dict[str, Any]:
        """Cancel a meeting; without sub_meetingid, every occurrence of a recurring one."""
        return self._call(
            "meeting/cancel", _present(meetingid=meetingid, sub_meetingid=sub_meetingid)
        )

    def meeting_get_info(
        self,
        meetingid: str | None = None,
        sub_meetingid: str | None = None,
        *,
        meeting_code: str | None = None,
    ) -> dict[str, Any]:
        """98149's answer for a meetingid, or for a meeting_code (会议号) when no id is known.
        The page's example answer does not echo the meetingid: it is filled in here when it
        was asked for, so callers need not rely on WeCom repeating it."""
        if (meetingid is None) == (meeting_code is None):
            raise ValueError("give a meetingid or a meeting_code")
        answer = self._call(
            "meeting/get_info",
            _present(meetingid=meetingid, meeting_code=meeting_code, sub_meetingid=sub_meetingid),
        )
        if meetingid is not None:
            answer.setdefault("meetingid", meetingid)
        return answer

    def meeting_get_user_meetingid(
        self,
        userid: str,
        cursor: str = "0",
        limit: int = USER_MEETINGID_LIMIT,
        begin_time: int | None = None,
        end_time: int | None = None,
    ) -> dict[str, Any]:
        """One page: next_cursor and meetingid_list (at most 180 days between the times)."""
        body = _present(
            userid=userid, cursor=cursor, limit=limit, begin_time=begin_time, end_time=end_time
        )
        return self._call("meeting/get_user_meetingid", body)

    def meeting_iter_user_meetingids(
        self, userid: str, begin_time: int, end_time: int
    ) -> Iterator[str]:
        """Every meetingid of userid between two unix times, each once, however long the span."""
        if end_time < begin_time:
            raise ValueError("end_time is before begin_time")
        seen: set[str] = set()
        window_begin = begin_time
        while True:
            window_end = min(window_begin + USER_MEETINGID_SPAN, end_time)
            cursor = "0"
            while True:
                page = self.meeting_get_user_meetingid(
                    userid, cursor, USER_MEETINGID_LIMIT, window_begin, window_end
                )
                meetingids = page.get("meetingid_list") or []
                for meetingid in meetingids:
                    # Adjacent windows share their boundary second.
                    if meetingid not in seen:
                        seen.add(meetingid)
                        yield meetingid
                next_cursor = page.get("next_cursor")
                if not meetingids or not next_cursor or next_cursor == cursor:
                    break
                cursor = next_cursor
            if window_end >= end_time:
                return
            window_begin = window_end

    def meeting_set_invitees(self, meetingid: str, userids: Iterable[str]) -> dict[str, Any]:
        """Replace the whole invitee list (up to 2000, past update's 100/300 cap)."""
        invitees = [{"userid": userid} for userid in userids]
        return self._call("meeting/set_invitees", {"meetingid": meetingid, "invitees": invitees})

    # --- calendars ---------------------------------------------------------------------

    def calendar_add(self, calendar: dict[str, Any]) -> dict[str, Any]:
        """cal_id and fail_result; the calendar belongs to this client's agent."""
        return self._call("oa/calendar/add", {"calendar": calendar, "agentid": self.agent_id})

    def calendar_update(
        self, calendar: dict[str, Any], skip_public_range: int | None = None
    ) -> dict[str, Any]:
        """Overwrite the calendar whose cal_id is in calendar: fields left out are cleared."""
        return self._call(
            "oa/calendar/update", _present(calendar=calendar, skip_public_range=skip_public_range)
        )

    def calendar_get(self, cal_ids: Iterable[str]) -> list[dict[str, Any]]:
        cal_ids = list(cal_ids)
        calendars: list[dict[str, Any]] = []
        for start in range(0, len(cal_ids), CALENDAR_GET_LIMIT):
            chunk = cal_ids[start : start + CALENDAR_GET_LIMIT]
            answer = self._call("oa/calendar/get", {"cal_id_list": chunk})
            calendars.extend(answer.get("calendar_list") or [])
        return calendars

    def calendar_delete(self, cal_id: str) -> dict[str, Any]:
        return self._call("oa/calendar/del", {"cal_id": cal_id})

    # --- app messages ------------------------------------------------------------------

    def message_send(
        self,
        touser: Iterable[str] | str,
        msgtype: str,
        content: dict[str, Any],
        *,
        toparty: Iterable[int | str] = (),
        totag: Iterable[int | str] = (),
        duplicate_check_interval: int | None = None,
    ) -> dict[str, Any]:
        """An app message from this client's agent (message/send, 90236): `touser` a list of
        userids or "@all", `content` the object of `msgtype` (for "textcard": title,
        description, url, btntxt). With `duplicate_check_interval` (seconds, at most 4 hours)
        WeCom does not deliver the same request again within it. The answer names the
        recipients that were not reached, each field "a|b": invaliduser (lower case),
        invalidparty, invalidtag, unlicenseduser; msgid recalls the message. When nobody is
        reachable WeCom answers 81013, raised as a PermanentError.

        WeCom drops what an app sends a member beyond 30 messages a minute and 1000 an hour
        (90454): the messages to each member are counted first, and a message that would
        pass that is refused here (RateLimited) without being sent."""
        everyone = touser == "@all"
        users = [] if everyone else list(touser)
        if users:
            self.limits.admit_recipients("message/send", self.agent_id, users)
        body = {
            "touser": "@all" if everyone else "|".join(users),
            "toparty": "|".join(str(party) for party in toparty),
            "totag": "|".join(str(tag) for tag in totag),
            "msgtype": msgtype,
            "agentid": self.agent_id,
            msgtype: content,
        }
        body = {name: value for name, value in body.items() if value != ""}
        if duplicate_check_interval is not None:
            body["enable_duplicate_check"] = 1
            body["duplicate_check_interval"] = duplicate_check_interval
        return self._call("message/send", body)

    # --- the wire ------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        payload: dict[str, Any] | None = None,
        paused_until: object = limits.UNREAD,
    ) -> dict[str, Any]:
        # Refused here (RateLimited) while the API is paused or its budget is spent.
        self.limits.admit(path, paused_until)
        started = time.monotonic()
        failure = None
        try:
            # Prepared here and handed straight to the session's transport adapter: the
            # session would merge its cookies, auth and hooks into every request and look
            # for cookies and redirects in every answer, and WeCom's API has none of them
            # (a tenth of a call's CPU). A redirect is then an answer that is not WeCom's.
            url = f"{self.base_url}/cgi-bin/{path}"
            request = requests.Request(
                method, url, headers=self.session.headers, params=params, json=payload
            )
            response = self.session.get_adapter(url).send(
                request.prepare(),
                timeout=self.timeout,
                proxies=self.proxies,
                verify=self.verify,
                cert=self.cert,
            )
            # Read whole here, as session.send would: a body broken off is a failed call,
            # and the connection goes back to the pool whatever the answer.
            response.content  # noqa: B018
        # The exceptions of requests quote the URL, query string and credentials included,
        # so none of them is kept: the error is built from a plain description, and it is
        # raised after the except clauses so that it does not chain the original either.
        except requests.ConnectTimeout:
            failure = transport_error(path, f"no connection within {self.timeout[0]} s")
        except requests.ReadTimeout:
            failure = transport_error(
                path, f"no answer within {self.timeout[1]} s", maybe_applied=True
            )
        except requests.ConnectionError as exc:
            if _refused(exc):
                failure = transport_error(path, "the connection was refused")
            else:
                failure = transport_error(
                    path, "the connection broke before the answer", maybe_applied=True
                )
        except requests.RequestException as exc:
            failure = transport_error(
                path, f"the request failed ({type(exc).__name__})", maybe_applied=True
            )
        if failure is not None:
            self._log(method, path, started, failure.description)
            raise failure

        if response.status_code != 200:
            failure = transport_error(
                path, f"HTTP {response.status_code}", maybe_applied=response.status_code >= 500
            )
        else:
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if not isinstance(answer, dict) or not isinstance(answer.get("errcode"), int):
                failure = transport_error(path, "the answer is not WeCom JSON", maybe_applied=True)
        if failure is not None:
            self._log(method, path, started, failure.description)
            raise failure

        errcode = answer["errcode"]
        self._log(method, path, started, f"errcode {errcode}")
        if errcode != 0:
            error = error_for(path, errcode, answer.get("errmsg", ""))
            if errcode == limits.FREQUENCY_LIMITED:
                # WeCom blocks this API, and only this one: every process waits it out.
                error.retry_after = self.limits.pause(path)
            raise error
        return answer

    def _log(self, method: str, path: str, started: float, outcome: str) -> None:
        elapsed_ms = round((time.monotonic() - started) * 1000)
        logger.info("%s %s: %s, %d ms", method, path, outcome, elapsed_ms)


def _present(**fields: Any) -> dict[str, Any]:
    """The body fields that have a value; WeCom reads an absent field and null differently."""
    return {name: value for name, value in fields.items() if value is not None}


def _refused(exc: requests.ConnectionError) -> bool:
    # requests wraps urllib3's MaxRetryError, whose reason tells a refused connection (the
    # request never left) from one that broke after sending.
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


_current: tuple[tuple[Any, ...], WeComClient] | None = None
_current_guard = threading.Lock()


def get_client() -> WeComClient:
    """This process's client, rebuilt when the WECOM_* settings change (tests override them)."""
    global _current
    config = (
        settings.WECOM_API_BASE,
        settings.WECOM_CORP_ID,
        settings.WECOM_SECRET,
        settings.WECOM_AGENT_ID,
        settings.WECOM_CONNECT_TIMEOUT,
        settings.WECOM_READ_TIMEOUT,
        settings.WECOM_RATE_PER_MINUTE,
        settings.WECOM_RATE_PER_HOUR,
    )
    with _current_guard:
        if _current is None or _current[0] != config:
            (
                base_url,
                corp_id,
                secret,
                agent_id,
                connect_timeout,
                read_timeout,
                per_minute,
                per_hour,
            ) = config
            client = WeComClient(
                base_url,
                corp_id,
                secret,
                agent_id,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                per_minute=per_minute,
                per_hour=per_hour,
            )
            _current = (config, client)
        return _current[1]
