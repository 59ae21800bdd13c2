"""WeCom refuses the app's secret once (40001), and the secret is held as refused for a while
(wecom.tokens.REFUSAL_HOLD) so that gettoken is not hammered. A Retry during the hold sends
nothing: the call log and the record must not show calls WeCom never received as answered,
nor WeCom's earlier 40001 as their answer. The change waits the hold out and then goes."""

import time
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from meetings import presenters, sync
from meetings.models import AuditEvent, Meeting, SyncAttempt, SyncState
from wecom import tokens as tokens_module
from wecom.client import get_client
from wecom.errors import ERRCODES

from .conftest import edit, import_new, wait_for, wait_settled
from .test_messages import edit_as

pytestmark = pytest.mark.django_db(transaction=True)

WRONG_SECRET = 40001
# Seconds: long enough for a Retry to come while it lasts, short enough to wait out.
HOLD = 3


@pytest.fixture
def short_hold(monkeypatch):
    monkeypatch.setattr(tokens_module, "REFUSAL_HOLD", HOLD)


@pytest.fixture
def administrator(db):
    """A meeting administrator who is lisi in WeCom: the app's messages go to them."""
    call_command("grant_role", "wang", "administrator", "--create", "--wecom-userid", "lisi")
    return get_user_model().objects.get(username="wang")


def refused_once(sandbox):
    """The next gettoken is refused as a wrong secret, and only that one; no token is
    cached, so the next call asks for one."""
    cache.delete(get_client().tokens.key)
    sandbox.fault(path="gettoken", kind="errcode", value=WRONG_SECRET, times=1)


def answered(rows):
    """(path, errcode) of the call log's rows that carry an answer of WeCom's."""
    return [(row.path, row.errcode) for row in rows if row.errcode is not None]


def received(requests):
    """(path, errcode) of the calls the sandbox received, the token's fetches aside (the call
    log lists the calls a token was fetched for, not the fetches)."""
    return [(r["path"], r["errcode"]) for r in requests if r["path"] != "gettoken"]


def site_words(text):
    with translation.override("zh-hans"):
        return escape(str(text))


class TestByHand:
    @pytest.fixture(autouse=True)
    def _runs_by_hand(self, monkeypatch):
        """The runs are made here, one by one: no worker takes the meeting."""
        monkeypatch.setattr("meetings.tasks.enqueue_after_save", lambda pk: None)
        monkeypatch.setattr("meetings.tasks.enqueue", lambda pk, countdown=None: None)

    def test_a_retry_during_the_hold_sends_nothing_says_so_and_goes_after_it(
        self, sandbox, short_hold, admin_client
    ):
        meeting = edit(import_new(sandbox, title="周会"), title="季度复盘")
        refused_once(sandbox)
        sandbox.clear_requests()

        # WeCom's answer, to the gettoken it received: a failure for an operator.
        assert sync.reconcile(meeting.pk).outcome == sync.FAILED
        assert Meeting.objects.get(pk=meeting.pk).sync_errcode == WRONG_SECRET
        (refusal,) = sandbox.requests()
        assert (refusal["path"], refusal["errcode"]) == ("gettoken", WRONG_SECRET)
        first_rows = SyncAttempt.objects.filter(meeting=meeting).count()

        # The fault is spent; the administrator clicks Retry while the hold lasts.
        retried_at = timezone.now()
        response = admin_client.post(reverse("meetings:sync_retry", args=[meeting.pk]))
        assert response.status_code == 302
        result = sync.reconcile(meeting.pk)

        # Nothing reached the sandbox, and nothing says WeCom answered.
        assert len(sandbox.requests()) == 1
        meeting = Meeting.objects.get(pk=meeting.pk)
        assert result.outcome == sync.RETRY
        assert meeting.sync_state == SyncState.RETRYING
        # A call not sent is no try, and it carries no errcode of WeCom's.
        assert meeting.sync_tries == 0
        assert meeting.sync_errcode is None
        assert meeting.next_attempt_at.timestamp() >= refusal_time(meeting) + HOLD
        held = list(SyncAttempt.objects.filter(meeting=meeting, started_at__gte=retried_at))
        assert held
        assert answered(held) == []
        for row in held:
            assert row.outcome == SyncAttempt.Outcome.NOTHING
            assert ": not sent: WeCom refused the app's secret" in row.errmsg
        # The record: the Retry waits; no result was written from an answer never given.
        assert not AuditEvent.objects.filter(
            meeting=meeting, action=AuditEvent.Action.SYNC_RESULT, at__gte=retried_at
        ).exists()

        # The sync page says why it waits and when WeCom refused, and lists the call as
        # not sent; the only 40001 on it is the one WeCom gave.
        page = admin_client.get(reverse("meetings:sync_panel", args=[meeting.pk])).content
        page = page.decode()
        with translation.override("zh-hans"):
            waiting = presenters.problem_words(meeting.sync_problem)
        assert escape(waiting) in page
        assert local_clock(refusal_time(meeting)) in waiting
        assert site_words(presenters.answer_words(None, "", "nothing")) in page
        assert page.count(f"<td>{WRONG_SECRET}</td>") == first_rows
        assert page.count(site_words(ERRCODES[WRONG_SECRET].message)) == first_rows

        # Once the hold is over, the next run asks WeCom again, and the change goes. The run
        # is due a little after the hold (spread, as the call limits spread theirs).
        due = max(refusal_time(meeting) + HOLD, meeting.next_attempt_at.timestamp())
        time.sleep(max(0.0, due - time.time()) + 0.1)
        sandbox.clear_requests()
        since = timezone.now()
        assert sync.reconcile(meeting.pk).outcome == sync.SYNCED

        meeting = Meeting.objects.get(pk=meeting.pk)
        assert meeting.sync_state == SyncState.SYNCED
        assert sandbox.meeting(meeting.meetingid)["title"] == "季度复盘"
        requests = sandbox.requests()
        assert [(r["path"], r["errcode"]) for r in requests][0] == ("gettoken", 0)
        rows = SyncAttempt.objects.filter(meeting=meeting, started_at__gte=since).order_by(
            "started_at", "pk"
        )
        # The call log lists exactly the calls the sandbox received, with their answers.
        assert answered(rows) == received(requests)


def local_clock(unix):
    return timezone.localtime(datetime.fromtimestamp(unix, UTC)).strftime("%H:%M:%S")


def refusal_time(meeting):
    """When WeCom refused the secret, as the meeting's waiting reason stores it."""
    return meeting.sync_problem["params"]["refused_at"]


def test_a_retry_during_the_hold_waits_it_out_and_no_message_claims_40001(
    sandbox, worker, administrator, short_hold
):
    meeting = import_new(sandbox, title="周会")
    refused_once(sandbox)
    sandbox.clear_requests()

    edit_as(administrator, meeting, title="季度复盘")
    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.FAILED
    assert meeting.sync_errcode == WRONG_SECRET
    first = list(SyncAttempt.objects.filter(meeting=meeting).values_list("pk", flat=True))

    # The message telling the administrator comes during the hold: not sent, not refused.
    notice_row = wait_for(
        lambda: SyncAttempt.objects.filter(path="message/send").exclude(outcome="retry").first(),
        message="the message's call",
    )
    assert notice_row.errcode is None
    assert notice_row.outcome == SyncAttempt.Outcome.NOTHING
    assert "not sent" in notice_row.errmsg

    # Retry while the hold lasts: once it is over, the change goes without another click.
    person = Client()
    person.force_login(administrator)
    response = person.post(reverse("meetings:sync_retry", args=[meeting.pk]))
    assert response.status_code == 302
    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert sandbox.meeting(meeting.meetingid)["title"] == "季度复盘"

    requests = sandbox.requests()
    tokens = [(r["path"], r["errcode"]) for r in requests if r["path"] == "gettoken"]
    # One refusal, then one question once the hold was over: gettoken was not hammered.
    assert tokens == [("gettoken", WRONG_SECRET), ("gettoken", 0)]
    # The news went stale with the Retry: no message was sent.
    assert [r for r in requests if r["path"] == "message/send"] == []
    # Besides the refusal WeCom gave, the call log lists as answered only what it received.
    later = SyncAttempt.objects.exclude(pk__in=first).order_by("started_at", "pk")
    assert answered(later) == received(requests)
    assert not later.filter(errcode=WRONG_SECRET).exists()
