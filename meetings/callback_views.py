"""WeCom's event callbacks: the URL handshake (GET) and events (POST) at /wecom/callback/.

No login and no CSRF token: WeCom has neither. The signature over the encrypted message,
made with the callback Token only WeCom and we know, is what authenticates a request, and
the AES key in the settings opens it.

A meeting_change event (modify_meeting, cancel_meeting) asks the sync to read the meeting from
WeCom (meetings.actions.pulls.request_pull), so that the run takes the change in; WeCom is
answered at once.
"""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from wecom.callbacks import (
    MAX_BODY_BYTES,
    CallbackCrypto,
    MalformedCallback,
    Replayed,
    SignatureError,
    StaleTimestamp,
)

from .actions import pulls as pull_actions

logger = logging.getLogger("meetings.callbacks")

MEETING_CHANGES = ("modify_meeting", "cancel_meeting")


def _crypto():
    return CallbackCrypto(
        settings.WECOM_CALLBACK_TOKEN, settings.WECOM_CALLBACK_AES_KEY, settings.WECOM_CORP_ID
    )


def _text(body, status=200):
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def wecom_callback(request):
    query = request.GET
    try:
        if request.method == "GET":
            # The handshake: WeCom waits one second for the decrypted echostr, as it is.
            return _text(_crypto().open_echostr(query))
        if len(request.body) > MAX_BODY_BYTES:
            raise MalformedCallback("the body is too large")
        message = _crypto().open_event(query, request.body, first_seen=_first_seen)
    except Replayed:
        # A copy of a request already taken in (WeCom's own retry, or someone replaying a
        # captured one): answered as WeCom expects, counted once.
        logger.info(
            "WeCom callback: msg_signature=%.64s received before, ignored",
            query.get("msg_signature", ""),
        )
        return _text("success")
    except (SignatureError, StaleTimestamp) as exc:
        # Only what identifies the attempt: never the body or echostr, which an attacker may
        # fill with anything and which, when genuine, carry the message.
        # One line: log_response marks the answer logged, so Django adds no second one.
        response: HttpResponse = HttpResponseForbidden("invalid signature")
        log_response(
            "WeCom callback refused (%s): %s msg_signature=%.64s timestamp=%.20s from %s",
            type(exc).__name__,
            exc,
            query.get("msg_signature", ""),
            query.get("timestamp", ""),
            request.META.get("REMOTE_ADDR", ""),
            response=response,
            request=request,
            logger=logger,
        )
        return response
    except MalformedCallback as exc:
        response = HttpResponseBadRequest("bad callback")
        log_response(
            "WeCom callback not readable: %s msg_signature=%.64s timestamp=%.20s",
            exc,
            query.get("msg_signature", ""),
            query.get("timestamp", ""),
            response=response,
            request=request,
            logger=logger,
        )
        return response

    if message.get("MsgType") == "event" and message.get("Event") == "meeting_change":
        change = message.get("ChangeType", "")
        meetingid = message.get("MeetingId", "")
        if change in MEETING_CHANGES and meetingid:
            pull_actions.request_pull(meetingid, change)
        else:
            logger.info("WeCom callback: meeting_change %r ignored", change)
    else:
        logger.info("WeCom callback: %s/%s ignored", message.get("MsgType"), message.get("Event"))
    # WeCom retries a callback that is not answered within five seconds: answer first, the
    # worker does the rest.
    return _text("success")


def _first_seen(signature, seconds):
    # cache.add is one atomic "set if absent" in Redis (and an insert into the database
    # cache's table), shared by every web process.
    return cache.add(f"wecom:callback-seen:{signature}", 1, timeout=seconds)
