"""Telling administrators in WeCom when a change of theirs needs them: an app message (a
textcard, message/send, https://developer.work.weixin.qq.com/document/path/90236) when the
sync of their change fails for good or ends in a conflict.

It reacts to the record rather than to the sync: the sync's endings append a sync_result
event that settles each waiting action as failed or conflict (meetings.sync.endings), and the
person to tell is that action's actor. Several actions settled by one ending (quick edits by
the same person) make one message. What must be sent is a Notice, written in the
settlement's transaction; it goes out after the commit, from the worker, as a task: the call
is recorded as a SyncAttempt of the meeting (path message/send) tied to the action, retried as
the sync retries its calls (meetings.sync.policy), and the Notice marked sent or failed from
WeCom's answer. A Notice still pending past its time (the broker was down, a worker died) is
queued again by the periodic sweep (meetings.tasks.sweep). Before it goes, WeCom's
per-member limits are kept (WeComClient.message_send).

WeCom's duplicate check is on, so the same message again within DUPLICATE_WINDOW (a failure
retried and failing the same way) reaches the person once. A message is in the site's
language (LANGUAGE_CODE): the worker knows no reader's language, and the administrators' is
the site's. What WeCom answers about the person's userid (invaliduser, unlicenseduser, 81013)
is kept on their account, whose page shows it.

WECOM_MESSAGES=false turns all of it off.
"""

import logging
import re
import threading
import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
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
from .models import Account, AuditEvent, Notice, SyncAttempt, SyncState
from .sync.policy import decide

logger = logging.getLogger("meetings.notify")

PATH = "message/send"
# Seconds within which WeCom does not deliver the same message again (90236: 1800 by
# default, at most 4 hours).
DUPLICATE_WINDOW = 1800
# A settlement's outcome -> the meeting's state while that news still holds.
STOPPED: dict[str, str] = {
    AuditEvent.Outcome.FAILED: SyncState.FAILED,
    AuditEvent.Outcome.CONFLICT: SyncState.CONFLICT,
}
# 90236: all recipients invalid.
NOBODY_REACHED = 81013
# 90236: a textcard's title keeps 128 bytes, its description 512.
TITLE_BYTES = 128
DESCRIPTION_BYTES = 512
# An entity whose end a cut took away.
HALF_ENTITY = re.compile(r"&[#\w]*$")

# Seconds a queued message may take to reach WeCom before the sweep queues it again (counted
# from when it is due, a retry's countdown included). Well inside DUPLICATE_WINDOW, so that a
# message that did go, but whose answer was lost with its worker, collapses with its repeat.
REQUEUE_AFTER = 300

# The messages of the current transaction, per thread: (meeting, actor, outcome) -> the
# Notice's pk, so that actions settled together make one message (see _recorded).
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
    # Written in the settlement's transaction: what must be sent is in the database before
    # anything is queued, and goes (or not) with the settlement.
    notices = _notices()
    key = (instance.meeting_id, actor_id, instance.outcome)
    joined = key in notices and Notice.objects.filter(
        pk=notices[key],
        state=Notice.State.PENDING,
        event__meeting_id=instance.meeting_id,
        event__outcome=instance.outcome,
        event__settles__actor_id=actor_id,
    ).update(event=instance)
    if not joined:
        due = timezone.now() + timedelta(seconds=REQUEUE_AFTER)
        notices[key] = Notice.objects.create(event=instance, due_at=due).pk
    # Every commit queues whatever is noted; a rolled-back transaction's notices went with
    # it, and the task finds them missing.
    transaction.on_commit(_flush)


def _notices():
    if not hasattr(_pending, "notices"):
        _pending.notices = {}
    return _pending.notices


def _flush():
    notices, _pending.notices = _notices(), {}
    for notice_pk in notices.values():
        enqueue(notice_pk)


def enqueue(notice_pk, countdown=None):
    """Queue the Notice `notice_pk`; False when the broker refused (the sweep queues it)."""
    now = timezone.now()
    Notice.objects.filter(pk=notice_pk, state=Notice.State.PENDING).update(
        due_at=now + timedelta(seconds=(countdown or 0) + REQUEUE_AFTER)
    )
    try:
        send_notice.apply_async(
            (notice_pk,),
            countdown=countdown,
            retry=True,
        )
    except Exception as exc:
        # The error's kind only: a transport's text may carry the broker's URL and password.
        logger.warning(
            "notice %s: could not be queued (%s); the sweep will queue it",
            notice_pk,
            type(exc).__name__,
        )
        Notice.objects.filter(pk=notice_pk, state=Notice.State.PENDING).update(due_at=now)
        return False
    return True


def sweep(now=None):
    """Queue again the messages still pending past their time: a broker that was down, a
    worker that died before WeCom answered. Returns how many were queued."""
    if not settings.WECOM_MESSAGES:
        return 0
    due = (
        Notice.objects.filter(state=Notice.State.PENDING, due_at__lte=now or timezone.now())
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )
    queued = 0
    for notice_pk in due:
        if not enqueue(notice_pk):
            # The broker is down: the others would fail the same way; the next sweep retries.
            break
        queued += 1
    return queued


# --- the worker's side ------------------------------------------------------------------------


@shared_task(acks_late=True, ignore_result=True)
def send_notice(notice_pk):
    delay = deliver(notice_pk)
    if delay is not None:
        enqueue(notice_pk, countdown=delay)


def deliver(notice_pk, client=None):
    """Send the Notice `notice_pk` and mark it from WeCom's answer. Seconds to wait before
    trying again, None when it is done with (or not to be sent now)."""
    if not settings.WECOM_MESSAGES:
        # Left pending: nothing is said about it.
        return None
    notice = (
        Notice.objects.select_related("event__meeting", "event__settles__actor")
        .filter(pk=notice_pk, state=Notice.State.PENDING)
        .first()
    )
    if notice is None:
        # Sent, refused or given up by an earlier delivery (a message queued twice).
        return None
    event = notice.event
    if event.settles is None or event.meeting is None:
        _mark(notice, Notice.State.SKIPPED)
        return None
    meeting, actor = event.meeting, event.settles.actor
    if meeting.sync_state != STOPPED[event.outcome]:
        # Retried, edited or settled since (a conflict now a failure has its own notice):
        # the news is stale.
        logger.info("notice %s: meeting %s no longer waits for a person", notice_pk, meeting.pk)
        _mark(notice, Notice.State.SKIPPED)
        return None
    account = None
    if actor is not None and actor.is_active:
        account = Account.objects.filter(user=actor).exclude(wecom_userid="").first()
    if account is None:
        logger.info("notice %s: nobody with a WeCom userid to tell", notice_pk)
        _mark(notice, Notice.State.SKIPPED)
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
    # it, the record still says that a message may have gone (and the notice, still
    # pending, is queued again by the sweep; WeCom's duplicate check keeps it to one).
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
        decision = decide(err, tries=notice.tries, last_errcode=last)
        if decision.retry:
            outcome = SyncAttempt.Outcome.RETRY if decision.counted else SyncAttempt.Outcome.NOTHING
        else:
            outcome = SyncAttempt.Outcome.FAILED
        _answered(row, started, err.errcode, str(err), outcome)
        if err.errcode == NOBODY_REACHED:
            account_actions.note_answer(account.user_id, userid, Account.Refusal.INVALID)
        if decision.retry:
            if decision.counted:
                Notice.objects.filter(pk=notice.pk).update(tries=F("tries") + 1)
            return decision.delay
        logger.warning("notice %s: not sent: %s", notice_pk, err)
        _mark(notice, Notice.State.FAILED)
        return None
    # errcode 0 says the call was taken, not that the person was reached: WeCom names in the
    # answer the recipients it did not deliver to.
    refused = refusal(answer, userid)
    _answered(
        row,
        started,
        answer.get("errcode", 0),
        answer.get("errmsg", ""),
        SyncAttempt.Outcome.FAILED if refused else SyncAttempt.Outcome.OK,
    )
    account_actions.note_answer(account.user_id, userid, refused)
    _mark(notice, Notice.State.FAILED if refused else Notice.State.SENT)
    return None


def _mark(notice, state):
    Notice.objects.filter(pk=notice.pk, state=Notice.State.PENDING).update(state=state)


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
        description = f'{head}<div class="normal">{cut_markup(escape(what), room)}</div>'
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


def cut_markup(text, most):
    """cut() of escaped text, never half an entity ("&am" of "&amp;")."""
    kept = cut(text, most)
    return kept if len(kept) == len(text) else HALF_ENTITY.sub("", kept)


def connect():
    post_save.connect(_recorded, sender=AuditEvent, dispatch_uid="meetings.notify.recorded")
