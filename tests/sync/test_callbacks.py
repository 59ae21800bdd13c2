"""WeCom's event callbacks at /wecom/callback/: the handshake, refusals, and a meeting_change
event pulling the meeting through the real Celery worker (tests/sync/conftest.py) and the
sync's reconcile run, up to the sandbox sending the event itself to a live server."""

import logging
import time
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from meetings.models import Meeting, Status, SyncState
from wecom.callbacks import CallbackCrypto, meeting_change_xml
from wecom.sandbox.state import DEFAULT_CALLBACK_AES_KEY, DEFAULT_CALLBACK_TOKEN

from .conftest import import_new, wait_for, wait_settled

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/wecom/callback/"


@pytest.fixture
def crypto(sandbox, settings):
    # The settings' defaults are the sandbox's; set here so that the test does not depend on
    # the environment the suite runs in.
    settings.WECOM_CALLBACK_TOKEN = DEFAULT_CALLBACK_TOKEN
    settings.WECOM_CALLBACK_AES_KEY = DEFAULT_CALLBACK_AES_KEY
    return CallbackCrypto(DEFAULT_CALLBACK_TOKEN, DEFAULT_CALLBACK_AES_KEY, sandbox.corp_id)


def post_event(crypto, meetingid, change="modify_meeting", timestamp=None):
    message = meeting_change_xml(crypto.receiveid, meetingid, change, "zhangsan")
    query, body = crypto.seal_event(message, agent_id=1000002, timestamp=timestamp)
    # A client with no session: WeCom is nobody's user.
    return Client().post(f"{URL}?{urlencode(query)}", data=body, content_type="text/xml")


def test_it_is_routed_at_wecom_callback():
    assert reverse("wecom_callback") == URL


def test_it_answers_the_handshake_with_the_echostr_plaintext(crypto):
    echostr, query = crypto.seal("6203483735390537361")

    response = Client().get(URL, {**query, "echostr": echostr})

    assert response.status_code == 200
    assert response.content == b"6203483735390537361"
    assert response["Content-Type"].startswith("text/plain")


def test_it_refuses_a_forged_signature_with_403_and_logs_no_payload(crypto, caplog):
    secret_text = "the-handshake-plaintext"
    echostr, query = crypto.seal(secret_text)
    forged = {**query, "msg_signature": "0" * 40, "echostr": echostr}
    message = meeting_change_xml(crypto.receiveid, "hySECRET", "modify_meeting", "zhangsan")
    event_query, body = crypto.seal_event(message)
    encrypted = body.split("<Encrypt><![CDATA[")[1].split("]]>")[0]

    with caplog.at_level(logging.INFO):
        handshake = Client().get(URL, forged)
        event = Client().post(
            f"{URL}?{urlencode({**event_query, 'msg_signature': 'f' * 40})}",
            data=body,
            content_type="text/xml",
        )

    assert handshake.status_code == 403
    assert event.status_code == 403
    refused = [r for r in caplog.records if r.name == "meetings.callbacks"]
    assert len(refused) == 2
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "0" * 40 in logged and query["timestamp"] in logged
    for payload in (echostr, encrypted, secret_text, "hySECRET"):
        assert payload not in logged


def test_it_refuses_a_callback_signed_outside_the_replay_window(crypto):
    response = post_event(crypto, "hyOLD", timestamp=int(time.time()) - 3600)
    assert response.status_code == 403


def test_it_acknowledges_and_ignores_an_unknown_meeting(crypto, caplog, monkeypatch):
    queued = []
    monkeypatch.setattr("meetings.tasks.enqueue", queued.append)
    with caplog.at_level(logging.INFO, logger="meetings.callbacks"):
        response = post_event(crypto, "hyNOTOURS")
    assert response.status_code == 200
    assert response.content == b"success"
    assert queued == []
    assert "unknown meeting hyNOTOURS" in caplog.text


def test_it_pulls_a_known_meeting_changed_in_wecom(sandbox, worker, crypto):
    meeting = import_new(sandbox, title="周会")
    # Changed in WeCom, with no callback configured: the event below is the only news.
    sandbox.patch_meeting(meeting.meetingid, title="周会（改）")

    response = post_event(crypto, meeting.meetingid)

    assert response.status_code == 200
    assert response.content == b"success"
    wait_for(
        lambda: Meeting.objects.get(pk=meeting.pk).title == "周会（改）",
        message="the change to be taken in",
    )
    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    # Taken in, not sent back: the only update WeCom saw is none at all.
    assert sandbox.requests("meeting/update") == []


def test_it_takes_in_a_change_the_sandbox_calls_back_about(sandbox, worker, crypto, live_server):
    meeting = import_new(sandbox, title="评审会")
    sandbox.configure(callback_url=f"{live_server.url}{URL}")

    sandbox.patch_meeting(meeting.meetingid, title="评审会（延期）", meeting_duration=5400)

    wait_for(
        lambda: Meeting.objects.get(pk=meeting.pk).title == "评审会（延期）",
        message="the sandbox's callback to bring the change in",
    )
    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert meeting.duration == 5400


def test_it_takes_in_a_cancellation_the_sandbox_calls_back_about(
    sandbox, worker, crypto, live_server
):
    meeting = import_new(sandbox)
    sandbox.configure(callback_url=f"{live_server.url}{URL}")

    sandbox.patch_meeting(meeting.meetingid, status=4)

    wait_for(
        lambda: Meeting.objects.get(pk=meeting.pk).status == Status.CANCELLED,
        message="the cancellation to be taken in",
    )
