"""A signed callback counts once, however often it arrives within its window: the seen-set is
the shared cache, which every web process uses."""

import logging
from urllib.parse import urlencode

import pytest
from django.test import Client

from meetings.actions import pulls as pull_actions
from meetings.models import Meeting
from tests.sync.conftest import import_new
from tests.sync.test_callbacks import URL, crypto
from wecom.callbacks import CallbackCrypto, Replayed, meeting_change_xml

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["crypto"]


@pytest.fixture
def queued(monkeypatch):
    """The sync runs the callbacks queue, without a worker to run them."""
    runs = []
    monkeypatch.setattr(pull_actions.tasks, "enqueue", runs.append)
    return runs


def signed_event(crypto, meetingid):
    message = meeting_change_xml(crypto.receiveid, meetingid, "modify_meeting", "zhangsan")
    query, body = crypto.seal_event(message, agent_id=1000002)
    return f"{URL}?{urlencode(query)}", body


def test_a_callback_replayed_twenty_times_counts_once(sandbox, crypto, queued, caplog):
    meeting = import_new(sandbox, title="周会")
    version = Meeting.objects.get(pk=meeting.pk).version
    url, body = signed_event(crypto, meeting.meetingid)

    with caplog.at_level(logging.INFO, logger="meetings.callbacks"):
        # A fresh client each time, as separate connections (and web processes) would be.
        answers = [Client().post(url, data=body, content_type="text/xml") for _ in range(20)]

    # WeCom is answered as it expects every time, so that it stops retrying.
    assert {(a.status_code, a.content) for a in answers} == {(200, b"success")}
    assert queued == [meeting.pk]
    # One read of WeCom asked for, and no new version: an edit form open meanwhile stays valid.
    meeting = Meeting.objects.get(pk=meeting.pk)
    assert meeting.pull_requested
    assert meeting.version == version
    assert sum("received before" in r.getMessage() for r in caplog.records) == 19


def test_a_new_event_about_the_same_meeting_still_counts(sandbox, crypto, queued):
    meeting = import_new(sandbox, title="周会")
    for _ in range(2):
        url, body = signed_event(crypto, meeting.meetingid)
        assert Client().post(url, data=body, content_type="text/xml").status_code == 200
    assert queued == [meeting.pk, meeting.pk]


def test_a_forged_copy_does_not_use_up_the_genuine_one(sandbox, crypto, queued):
    """Only a verified signature is remembered: a forgery cannot block the real event."""
    meeting = import_new(sandbox, title="周会")
    url, body = signed_event(crypto, meeting.meetingid)
    forged_body = body.replace("<Encrypt><![CDATA[", "<Encrypt><![CDATA[AAAA")
    assert Client().post(url, data=forged_body, content_type="text/xml").status_code == 403
    assert Client().post(url, data=body, content_type="text/xml").status_code == 200
    assert queued == [meeting.pk]


def test_the_crypto_refuses_a_signature_it_was_told_is_not_new():
    crypto = CallbackCrypto("token", "d2Vjb20tc2FuZGJveC1jYWxsYmFjay1hZXMta2V5ISE", "wwcorp")
    query, body = crypto.seal_event("<xml><Event>x</Event></xml>")
    remembered = {}

    def first_seen(signature, seconds):
        if signature in remembered:
            return False
        remembered[signature] = seconds
        return True

    assert crypto.open_event(query, body, first_seen=first_seen) == {"Event": "x"}
    with pytest.raises(Replayed):
        crypto.open_event(query, body, first_seen=first_seen)
    # Remembered for as long as the timestamp check lets the request through, both sides.
    assert remembered == {query["msg_signature"]: 2 * crypto.window + 1}
