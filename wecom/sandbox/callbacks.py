"""The sandbox's side of WeCom's event callbacks: a meeting_change event, signed and encrypted
as WeCom does it, POSTed to the configured callback_url.

Sent from a thread of its own, after the change is stored and without the sandbox's lock, so
that the app may call the sandbox back (get_info) while handling it. Best-effort, like WeCom:
a callback that fails is logged and not retried.
"""

import logging
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

from wecom.callbacks import CallbackCrypto, meeting_change_xml

logger = logging.getLogger("wecom.sandbox.callbacks")

MODIFY = "modify_meeting"
CANCEL = "cancel_meeting"
TIMEOUT = 5


def meeting_changed(sandbox, meetingid, change_type, changed_by):
    """Queue a meeting_change event for `meetingid`, sent by the member `changed_by`, if a
    callback_url is configured; the thread sending it, or None."""
    config = sandbox.config
    url = config.get("callback_url")
    if not url:
        return None
    crypto = CallbackCrypto(config["callback_token"], config["callback_aes_key"], sandbox.corp_id)
    # WeCom stamps its callbacks with the real time: the sandbox's movable clock would make
    # every callback sent after `advance` look like a replay.
    now = int(time.time())
    message = meeting_change_xml(
        sandbox.corp_id, meetingid, change_type, changed_by, create_time=now
    )
    query, body = crypto.seal_event(message, agent_id=sandbox.agent_id, timestamp=now)
    thread = threading.Thread(
        target=_post,
        args=(url, query, body.encode("utf-8"), meetingid, change_type),
        name=f"wecom-sandbox-callback-{meetingid}",
        daemon=True,
    )
    thread.start()
    return thread


def _post(url, query, body, meetingid, change_type):
    separator = "&" if "?" in url else "?"
    request = urllib.request.Request(  # noqa: S310 - the URL is checked to be http(s)
        f"{url}{separator}{urlencode(query)}",
        data=body,
        method="POST",
        headers={"Content-Type": "text/xml; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            answer = response.read(200)
        logger.info("callback %s %s: HTTP %s %r", change_type, meetingid, response.status, answer)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        logger.warning("callback %s %s to %s failed: %s", change_type, meetingid, url, exc)
