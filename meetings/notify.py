"""Telling administrators in WeCom when a change of theirs needs them: an app message (a
textcard, message/send, https://developer.work.weixin.qq.com/document/path/90236) when the
sync of their change fails for good or ends in a conflict.

It reacts to the record rather than to the sync: the sync's endings append a sync_result
event that settles each waiting action as failed or conflict (meetings.sync.endings), and the
person to tell is that action's actor. Several actions settled by one ending (quick edits by
the same person) make one message. The message goes out after the commit, from the worker,
as a task: the call is recorded as a SyncAttempt of the meeting (path message/send) tied to
the action, and retried as the sync retries its calls (meetings.sync.policy). Before it goes,
WeCom's per-member limits are kept (WeComClient.message_send).

WeCom's duplicate check is on, so the same message again within DUPLICATE_WINDOW (a failure
retried and failing the same way) reaches the person once. A message is in the site's
language (LANGUAGE_CODE): the worker knows no reader's language, and the administrators' is
the site's. What WeCom answers about the person's userid (invaliduser, unlicenseduser, 81013)
is kept on their account, whose page shows it.

WECOM_MESSAGES=false turns all of it off.
"""

import logging
import threading
import time

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from wecom.client import get_client
from wecom.errors import WeComError

from . import presenters
from .actions import account as account_actions
from .models import Account, AuditEvent, SyncAttempt, SyncState
from .sync.policy import decide
from .tasks import PUBLISH_RETRY_POLICY

logger = logging.getLogger("meetings.notify")

PATH = "message/send"
# Seconds within which WeCom does not deliver the same message again (90236: 1800 by
# default, at most 4 hours).
DUPLICATE_WINDOW = 1800
STOPPED = (AuditEvent.Outcome.FAILED, AuditEvent.Outcome.CONFLICT)
# 90236: all recipients invalid.
NOBODY_REACHED = 81013
# 90236: a textcard's title keeps 128 bytes, its description 512.
TITLE_BYTES = 128
DESCRIPTION_BYTES = 512

# The notices of the current transaction, per thread: (meeting, actor, outcome) -> the
# newest settlement event. Each commit hands what is there to the worker (see _recorded).
_pending = threading.local()


# --- when the record says a change stopped -------------------------------------------------


def _recorded(sender, instance, created, raw=False, **kwargs):
    if raw or not created or not settings.WECOM_MESSAGES:
        return
    if instance.action != AuditEvent.Action.SYNC_RESULT or instance.outcome not in STOPPED:
        return
    if instance.settles_id is None or instance.meeting_id is None:
        return
    actor_id = (
        AuditEvent.objects.filter(pk=instance.settles_id).values_list("actor_id", flat=True).first()
    )
    if actor_id is None:
        # A command's or the system's action: nobody to tell.
        return
    notices = _notices()
    notices[(instance.meeting_id, actor_id, instance.outcome)] = instance.pk
    # Every commit flushes whatever is pending; a rolled-back transaction's notices go with
    # the next commit, and their events, never written, are found missing by the task.
    transaction.on_commit(_flush)


def _notices():
    if not hasattr(_pending, "notices"):
        _pending.notices = {}
    return _pending.notices


def _flush():
    notices, _pending.notices = _notices(), {}
    for event_pk in notices.values():
        enqueue(event_pk)


def enqueue(event_pk, tries=0, countdown=None):
    """Queue the message about the settlement `event_pk`; False when the broker refused."""
    try:
        send_notice.apply_async(
            (event_pk, tries),
            countdown=countdown,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except Exception:
        logger.warning("notice %s: could not be queued", event_pk, exc_info=True)
        return False
    return True


# --- the worker's side ------------------------------------------------------------------------


@shared_task(acks_late=True, ignore_result=True)
def send_notice(event_pk, tries=0):
    again = deliver(event_pk, tries)
    if again is not None:
        delay, counted = again
        enqueue(event_pk, tries + 1 if counted else tries, countdown=delay)


def deliver(event_pk, tries=0, client=None):
    """Send the message about the settlement `event_pk`. (seconds, counted) when it is to be
    tried again (counted: as one of its tries), None when done or given up."""
    if not settings.WECOM_MESSAGES:
        return None
    event = (
        AuditEvent.objects.select_related("meeting", "settles__actor")
        .filter(pk=event_pk, action=AuditEvent.Action.SYNC_RESULT)
        .first()
    )
    if event is None or event.settles is None or event.meeting is None:
        return None
    meeting, actor = event.meeting, event.settles.actor
    if meeting.sync_state not in (SyncState.FAILED, SyncState.CONFLICT):
        # Retried, edited or settled since: the news is stale.
        logger.info("notice %s: meeting %s no longer waits for a person", event_pk, meeting.pk)
        return None
    account = None
    if actor is not None and actor.is_active:
        account = Account.objects.filter(user=actor).exclude(wecom_userid="").first()
    if account is None:
        logger.info("notice %s: nobody with a WeCom userid to tell", event_pk)
        return None
    userid = account.wecom_userid
    card = textcard(meeting, event.outcome)
    request = {
        "touser": userid,
        "msgtype": "textcard",
        "textcard": card,
        "enable_duplicate_check": 1,
        "duplicate_check_interval": DUPLICATE_WINDOW,
    }
    last = (
        SyncAttempt.objects.filter(event=event.settles, path=PATH)
        .values_list("errcode", flat=True)
        .first()
    )
    # Written before the call, as the sync writes its writes: should the worker die during
    # it, the record still says that a message may have gone.
    row = SyncAttempt.objects.create(
        meeting=meeting,
        meetingid=meeting.meetingid or "",
        version=event.settles.version or meeting.version,
        path=PATH,
        started_at=timezone.now(),
        duration_ms=0,
        request=request,
        outcome=SyncAttempt.Outcome.RETRY,
        event=event.settles,
    )
    started = time.monotonic()
    try:
        answer = (client or get_client()).message_send(
            [userid], "textcard", card, duplicate_check_interval=DUPLICATE_WINDOW
        )
    except WeComError as err:
        decision = decide(err, tries=tries, last_errcode=last)
        if decision.retry:
            outcome = SyncAttempt.Outcome.RETRY if decision.counted else SyncAttempt.Outcome.NOTHING
        else:
            outcome = SyncAttempt.Outcome.FAILED
        _answered(row, started, err.errcode, str(err), outcome)
        if err.errcode == NOBODY_REACHED:
            account_actions.note_answer(actor.pk, userid, Account.Refusal.INVALID)
        if decision.retry:
            return decision.delay, decision.counted
        logger.warning("notice %s: not sent: %s", event_pk, err)
        return None
    _answered(
        row, started, answer.get("errcode", 0), answer.get("errmsg", ""), SyncAttempt.Outcome.OK
    )
    account_actions.note_answer(actor.pk, userid, refusal(answer, userid))
    return None


def _answered(row, started, errcode, errmsg, outcome):
    SyncAttempt.objects.filter(pk=row.pk).update(
        duration_ms=round((time.monotonic() - started) * 1000),
        errcode=errcode,
        errmsg=errmsg,
        outcome=outcome,
    )


def refusal(answer, userid):
    """Account.Refusal for `userid` in a message/send answer, "" when WeCom took it."""

    def named(field):
        return userid.lower() in (answer.get(field) or "").lower().split("|")

    if named("invaliduser"):
        return Account.Refusal.INVALID
    if named("unlicenseduser"):
        return Account.Refusal.UNLICENSED
    return ""


# --- the message ------------------------------------------------------------------------------


def textcard(meeting, outcome):
    """The textcard about `meeting`, whose sync ended with `outcome` (failed or conflict): its
    title, what happened and a link to its page, in the site's language. Nothing in it
    changes from one send to the next unless the meeting does, so that WeCom's duplicate
    check recognises a repeat."""
    with translation.override(settings.LANGUAGE_CODE):
        if outcome == AuditEvent.Outcome.CONFLICT:
            state = _("Conflict: choose which value to keep")
            fields = presenters.listing(presenters.label(f) for f in sorted(meeting.conflict))
            what = _("The meeting was changed in WeCom too: %(fields)s.") % {"fields": fields}
        else:
            state = _("The change did not reach WeCom")
            what = presenters.problem_words(meeting.sync_problem) or meeting.sync_error
        start = presenters.local_datetime(meeting.start)
        head = (
            f'<div class="gray">{escape(start)}</div><div class="highlight">{escape(state)}</div>'
        )
        # Cut before it is wrapped, so that the markup stays whole.
        room = DESCRIPTION_BYTES - len(head.encode("utf-8")) - len('<div class="normal"></div>')
        description = f'{head}<div class="normal">{cut(escape(what), room)}</div>'
        button = pgettext("app message button", "Open")
    return {
        "title": cut(meeting.title, TITLE_BYTES),
        "description": description,
        "url": settings.SITE_URL.rstrip("/") + reverse("meetings:detail", args=[meeting.pk]),
        "btntxt": button,
    }


def cut(text, most):
    """At most `most` bytes of UTF-8, never half a character: WeCom cuts by bytes."""
    return text.encode("utf-8")[:most].decode("utf-8", errors="ignore")


def connect():
    post_save.connect(_recorded, sender=AuditEvent, dispatch_uid="meetings.notify.recorded")
