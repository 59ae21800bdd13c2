"""WeCom's event callbacks: the URL handshake (GET) and events (POST) at /wecom/callback/.

No login and no CSRF token: WeCom has neither. The signature over the encrypted message,
made with the callback Token only WeCom and we know, is what authenticates a request, and
the AES key in the settings opens it.

A meeting_change event (modify_meeting, cancel_meeting) queues the meeting's sync, so that the
reconcile run reads it from WeCom and takes the change in; WeCom is answered at once.
"""

import logging
from functools import partial

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.utils import timezone
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

from . import tasks
from .models import Meeting, Status, SyncState

logger = logging.getLogger("meetings.callbacks")

MEETING_CHANGES = ("modify_meeting", "cancel_meeting")
# A meeting waiting for a person keeps waiting: a stray run must not restart its tries
# behind their back (see sync.reconcile); their Retry or choice reads WeCom anew anyway.
WAITING = (SyncState.FAILED, SyncState.CONFLICT)


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
        logger.info("WeCom callback: msg_signature=%.64s received before, ignored",
                    query.get("msg_signature", ""))
        return _text("success")
    except (SignatureError, StaleTimestamp) as exc:
        # Only what identifies the attempt: never the body or echostr, which an attacker may
        # fill with anything and which, when genuine, carry the message.
        # One line: log_response marks the answer logged, so Django adds no second one.
        response = HttpResponseForbidden("invalid signature")
        log_response(
            "WeCom callback refused (%s): %s msg_signature=%.64s timestamp=%.20s from %s",
            type(exc).__name__, exc, query.get("msg_signature", ""),
            query.get("timestamp", ""), request.META.get("REMOTE_ADDR", ""),
            response=response, request=request, logger=logger,
        )
        return response
    except MalformedCallback as exc:
        response = HttpResponseBadRequest("bad callback")
        log_response(
            "WeCom callback not readable: %s msg_signature=%.64s timestamp=%.20s",
            exc, query.get("msg_signature", ""), query.get("timestamp", ""),
            response=response, request=request, logger=logger,
        )
        return response

    if message.get("MsgType") == "event" and message.get("Event") == "meeting_change":
        change = message.get("ChangeType", "")
        meetingid = message.get("MeetingId", "")
        if change in MEETING_CHANGES and meetingid:
            queue_pull(meetingid, change)
        else:
            logger.info("WeCom callback: meeting_change %r ignored", change)
    else:
        logger.info(
            "WeCom callback: %s/%s ignored", message.get("MsgType"), message.get("Event")
        )
    # WeCom retries a callback that is not answered within five seconds: answer first, the
    # worker does the rest.
    return _text("success")


def _first_seen(signature, seconds):
    # cache.add is one atomic "set if absent" in Redis (and an insert into the database
    # cache's table), shared by every web process.
    return cache.add(f"wecom:callback-seen:{signature}", 1, timeout=seconds)


def queue_pull(meetingid, change=""):
    """Have the sync read the meeting from WeCom soon. Returns the meeting's pk, or None when
    nothing was queued (unknown meeting, or one the sync leaves alone)."""
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("reminders")
            .filter(meetingid=meetingid)
            .first()
        )
        if meeting is None:
            # Meetings made in WeCom by others reach us too; an import brings them in.
            logger.info("WeCom callback: %s for unknown meeting %s ignored", change, meetingid)
            return None
        if meeting.sync_state in WAITING:
            logger.info(
                "WeCom callback: %s for meeting %s left to a person (%s)",
                change, meetingid, meeting.sync_state,
            )
            return None
        if not _syncable(meeting):
            # The reconcile run only works on meetings still to come; on others it would
            # record a failure for a change nobody made here.
            logger.info(
                "WeCom callback: %s for meeting %s ignored, no longer scheduled here",
                change, meetingid,
            )
            return None
        if meeting.version <= meeting.synced_version:
            # A synced meeting has nothing to reconcile, so a run would not read WeCom. One
            # more desired version (the same content) makes it read, merge and take in what
            # changed there; it also refuses a form loaded before the change, as take_in
            # does, and leaves the sweep to queue it again should the broker be down.
            Meeting.objects.filter(pk=meeting.pk).update(
                version=F("version") + 1, sync_state=SyncState.PENDING, sync_tries=0,
                next_attempt_at=None,
            )
        # Otherwise an edit is on its way and its run reads WeCom anyway.
        transaction.on_commit(partial(tasks.enqueue, meeting.pk))
    logger.info("WeCom callback: %s for meeting %s, sync queued", change, meetingid)
    return meeting.pk


def _syncable(meeting):
    if meeting.status != Status.SCHEDULED:
        return False
    reminders = getattr(meeting, "reminders", None)
    if reminders is not None and reminders.is_repeat:
        return True
    return meeting.start > timezone.now()
