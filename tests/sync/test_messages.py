"""The administrator whose change stops in the sync hears of it in WeCom: an app message sent
by the real worker to the sandbox, once within WeCom's duplicate window."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from meetings import notify, payloads, presenters, sync, tasks
from meetings.actions import meeting as meeting_actions
from meetings.models import Account, AuditEvent, Meeting, Notice, SyncAttempt, SyncState
from wecom.client import get_client
from wecom.limits import RateLimited

from .conftest import _no_active_tasks, import_new, in_site_language, wait_for, wait_settled
from .test_worker import BrokerDown

pytestmark = pytest.mark.django_db(transaction=True)

# 98154's refusal of a bad password: permanent, so the sync stops at once.
BAD_PASSWORD = 400030


@pytest.fixture
def administrator(db):
    """A meeting administrator who is lisi in WeCom, given both the way an operator does."""
    call_command("grant_role", "wang", "administrator", "--create", "--wecom-userid", "lisi")
    return get_user_model().objects.get(username="wang")


def edit_as(user, meeting, **changes):
    meeting = Meeting.objects.get(pk=meeting.pk)
    body = payloads.desired_body(meeting) | changes
    return meeting_actions.edit_meeting(
        meeting, body, actor=user, loaded_version=meeting.version
    ).meeting


def received(sandbox, touser):
    return sandbox.control("GET", f"messages?touser={touser}")["messages"]


def sent(sandbox):
    return sandbox.requests("message/send")


def test_a_failure_reaches_the_administrator_once_within_the_duplicate_window(
    sandbox, worker, administrator, settings
):
    meeting = import_new(sandbox, title="项目周会")
    sandbox.fault(path="meeting/update", kind="errcode", value=BAD_PASSWORD, times=3)

    meeting = edit_as(administrator, meeting, title="产品评审")

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.FAILED
    (message,) = wait_for(lambda: received(sandbox, "lisi"), message="the message")
    card = message["textcard"]
    assert card["title"] == "产品评审"
    # Words rendered as they are made: in the site's language, as the worker renders them.
    with translation.override(settings.LANGUAGE_CODE):
        assert presenters.problem_words(meeting.sync_problem) in card["description"]
    assert card["url"] == settings.SITE_URL + reverse("meetings:detail", args=[meeting.pk])
    assert sent(sandbox)[0]["body"]["enable_duplicate_check"] == 1

    # Retried, and refused the same way: WeCom is asked again, the person is not told twice.
    meeting_actions.retry_sync(meeting, actor=administrator)
    wait_for(lambda: len(sent(sandbox)) == 2, message="the second message/send")
    assert len(received(sandbox, "lisi")) == 1

    # Past the window the same news is news again.
    sandbox.advance(1801)
    meeting_actions.retry_sync(Meeting.objects.get(pk=meeting.pk), actor=administrator)
    wait_for(lambda: len(received(sandbox, "lisi")) == 2, message="the message after the window")

    # The auditors see each message as a call of the action it was about.
    wait_for(lambda: not SyncAttempt.objects.filter(path="message/send", outcome="retry").exists())
    attempts = SyncAttempt.objects.filter(path="message/send").order_by("pk")
    assert [a.outcome for a in attempts] == ["ok", "ok", "ok"]
    assert [a.event.action for a in attempts] == ["edit", "retry", "retry"]
    assert {a.event.actor_username for a in attempts} == {"wang"}


def test_a_conflict_reaches_the_administrator_once(sandbox, worker, administrator):
    meeting = import_new(sandbox, title="项目周会")
    sandbox.patch_meeting(meeting.meetingid, title="企业微信里的标题")

    meeting = edit_as(administrator, meeting, title="这边的标题")

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.CONFLICT
    (message,) = wait_for(lambda: received(sandbox, "lisi"), message="the message")
    assert message["textcard"]["title"] == "这边的标题"
    assert in_site_language(presenters.label("title")) in message["textcard"]["description"]
    assert len(sent(sandbox)) == 1


def test_quick_edits_that_fail_together_make_one_message(sandbox, worker, administrator, settings):
    # Time enough for the three saves to go out as one run, however slow the machine.
    settings.SYNC_SETTLE_SECONDS = 2
    meeting = import_new(sandbox)
    sandbox.fault(path="meeting/update", kind="errcode", value=BAD_PASSWORD)

    for number in range(1, 4):
        meeting = edit_as(administrator, meeting, title=f"第 {number} 版")

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.FAILED
    failed = AuditEvent.objects.filter(action="sync_result", outcome="failed").count()
    wait_for(lambda: received(sandbox, "lisi"), message="the message")
    assert failed == 3
    assert len(sent(sandbox)) == 1


def test_it_shows_on_the_account_page_that_wecom_does_not_know_the_userid(
    sandbox, worker, administrator
):
    call_command("grant_role", "wang", "administrator", "--wecom-userid", "Ghost")
    meeting = import_new(sandbox)
    sandbox.fault(path="meeting/update", kind="errcode", value=BAD_PASSWORD)

    edit_as(administrator, meeting, title="产品评审")

    wait_for(lambda: Account.objects.get(user=administrator).wecom_refusal, message="refusal")
    (answer,) = sent(sandbox)
    assert answer["errcode"] == 81013
    client = Client()
    client.force_login(administrator)
    page = client.get(reverse("meetings:account")).content.decode()
    assert "Ghost" in page
    assert escape(in_site_language(Account.Refusal.INVALID.label)) in page

    # A new userid starts without WeCom's answer about the old one.
    call_command("grant_role", "wang", "administrator", "--wecom-userid", "lisi")
    page = client.get(reverse("meetings:account")).content.decode()
    assert escape(in_site_language(Account.Refusal.INVALID.label)) not in page


def test_it_shows_a_member_without_a_licence_on_the_account_page(sandbox, worker, administrator):
    sandbox.configure(unlicensed_users=["lisi"])
    meeting = import_new(sandbox)
    sandbox.fault(path="meeting/update", kind="errcode", value=BAD_PASSWORD)

    edit_as(administrator, meeting, title="产品评审")

    wait_for(lambda: Account.objects.get(user=administrator).wecom_refusal, message="refusal")
    assert received(sandbox, "lisi") == []
    # WeCom took the call but reached nobody: the record does not say the message went.
    assert sent(sandbox)[0]["errcode"] == 0
    (attempt,) = SyncAttempt.objects.filter(path="message/send")
    assert attempt.outcome == "failed"
    # The notice is marked just after the account.
    wait_for(lambda: Notice.objects.get().state == "failed", message="the notice marked")
    client = Client()
    client.force_login(administrator)
    page = client.get(reverse("meetings:account")).content.decode()
    assert escape(in_site_language(Account.Refusal.UNLICENSED.label)) in page


def test_it_retries_the_message_when_wecom_is_busy(sandbox, worker, administrator):
    meeting = import_new(sandbox)
    sandbox.fault(path="meeting/update", kind="errcode", value=BAD_PASSWORD)
    sandbox.fault(path="message/send", kind="errcode", value=-1, times=2)

    edit_as(administrator, meeting, title="产品评审")

    wait_for(lambda: received(sandbox, "lisi"), message="the message")
    assert [r["errcode"] for r in sent(sandbox)] == [-1, -1, 0]


def test_it_sends_nothing_when_messages_are_off(sandbox, worker, administrator, settings):
    settings.WECOM_MESSAGES = False
    meeting = import_new(sandbox)
    sandbox.fault(path="meeting/update", kind="errcode", value=BAD_PASSWORD)

    meeting = edit_as(administrator, meeting, title="产品评审")

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.FAILED
    # Time for a message to have gone, had one been queued.
    time.sleep(1)
    assert sent(sandbox) == []
    assert not SyncAttempt.objects.filter(path="message/send").exists()


def test_it_waits_when_the_member_has_had_what_wecom_lets_an_app_send(
    sandbox, worker, administrator
):
    # The member's share of WeCom's 30 a minute for this ten-second bucket is spent (early
    # in a bucket, so that the message comes while it lasts).
    if time.time() % 10 > 5:
        time.sleep(10 - time.time() % 10 + 0.1)
    client = get_client()
    with pytest.raises(RateLimited):
        for _ in range(31):
            client.limits.admit_recipients("message/send", client.agent_id, ["lisi"])
    meeting = import_new(sandbox)
    sandbox.fault(path="meeting/update", kind="errcode", value=BAD_PASSWORD)

    edit_as(administrator, meeting, title="产品评审")

    wait_for(lambda: received(sandbox, "lisi"), timeout=40, message="the message")

    def outcomes():
        return list(
            SyncAttempt.objects.filter(path="message/send")
            .order_by("pk")
            .values_list("outcome", flat=True)
        )

    # WeCom has it before the worker has read the answer and recorded it.
    wait_for(lambda: outcomes()[-1] == "ok", timeout=10, message="the send recorded")
    # Held back (not sent, not a try) until the member's budget allowed it.
    assert outcomes()[0] == "nothing"
    assert len(sent(sandbox)) == 1


def settle_failed_while_the_broker_is_down(sandbox, administrator):
    """A change of the administrator's that fails for good while the broker is unreachable:
    the sync runs here, as the worker would have, and the message cannot be queued."""
    meeting = import_new(sandbox)
    sandbox.fault(path="meeting/update", kind="errcode", value=BAD_PASSWORD)
    with BrokerDown():
        meeting = edit_as(administrator, meeting, title="产品评审")
        sync.reconcile(meeting.pk)
    assert Meeting.objects.get(pk=meeting.pk).sync_state == SyncState.FAILED
    return meeting


def test_a_message_the_broker_could_not_take_goes_with_the_next_sweep(
    sandbox, worker, administrator
):
    settle_failed_while_the_broker_is_down(sandbox, administrator)
    time.sleep(0.5)
    assert sent(sandbox) == []

    tasks.sweep()

    (message,) = wait_for(lambda: received(sandbox, "lisi"), message="the message")
    assert message["textcard"]["title"] == "产品评审"
    wait_for(lambda: Notice.objects.get().state == "sent", message="the message marked sent")
    # Sent, it is not queued again.
    tasks.sweep()
    time.sleep(0.5)
    wait_for(_no_active_tasks, message="the worker to go idle")
    assert len(sent(sandbox)) == 1
    assert len(received(sandbox, "lisi")) == 1


def test_a_message_whose_answer_was_lost_reaches_the_person_once(sandbox, worker, administrator):
    settle_failed_while_the_broker_is_down(sandbox, administrator)
    tasks.sweep()
    wait_for(lambda: Notice.objects.get().state == "sent", message="the message marked sent")

    # What a worker leaves when it dies after WeCom took the message and before it wrote
    # that down: the message still pending, and the sweep finds it due.
    Notice.objects.update(state="pending", due_at=Notice.objects.get().created_at)
    tasks.sweep()

    wait_for(lambda: len(sent(sandbox)) == 2, message="the message sent again")
    wait_for(lambda: Notice.objects.get().state == "sent", message="the message marked sent")
    assert len(received(sandbox, "lisi")) == 1


def test_the_sweep_leaves_a_message_that_is_on_its_way(sandbox, worker, administrator):
    settle_failed_while_the_broker_is_down(sandbox, administrator)
    # Queued just now (and not yet sent): not due for the sweep.
    notice = Notice.objects.get()
    Notice.objects.filter(pk=notice.pk).update(
        due_at=notice.created_at + timedelta(seconds=notify.REQUEUE_AFTER)
    )

    tasks.sweep()

    time.sleep(1)
    assert sent(sandbox) == []
    assert Notice.objects.get().state == "pending"


def test_a_description_cut_to_wecom_s_bytes_keeps_its_entities_whole():
    # "&" escaped is "&amp;": cut inside it, the card would show "&am".
    assert notify.cut_markup(escape("说明" * 3 + "&b"), 20) == escape("说明" * 3)
    assert notify.cut_markup(escape("a&b"), 100) == "a&amp;b"
