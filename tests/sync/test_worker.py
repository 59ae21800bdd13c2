"""Saved edits reaching the sandbox through a real Celery worker on the configured broker."""

import socket
import time

import pytest
from django.db import transaction

from config.celery import app
from meetings import payloads, tasks
from meetings.actions import meeting as meeting_actions
from meetings.actions.errors import StaleVersion
from meetings.models import Meeting, SyncAttempt, SyncState
from wecom.errors import PermanentError

from .conftest import edit, import_new, in_site_language, sandbox_view, wait_for, wait_settled

pytestmark = pytest.mark.django_db(transaction=True)


def fresh(meeting):
    return Meeting.objects.get(pk=meeting.pk)


def test_it_brings_a_saved_edit_to_wecom(sandbox, worker):
    meeting = import_new(sandbox)

    meeting = edit(meeting, title="产品评审", settings={"enable_waiting_room": True})

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert meeting.synced_version == meeting.version
    stored = sandbox.meeting(meeting.meetingid)
    assert stored["title"] == "产品评审"
    assert stored["settings"]["enable_waiting_room"] is True


def test_it_sends_five_quick_edits_in_at_most_two_calls(sandbox, worker):
    meeting = import_new(sandbox)

    for number in range(1, 6):
        meeting = edit(meeting, title=f"第 {number} 版")

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert sandbox.meeting(meeting.meetingid)["title"] == "第 5 版"
    sent = [request["body"]["title"] for request in sandbox.requests("meeting/update")]
    assert 1 <= len(sent) <= 2
    assert sent[-1] == "第 5 版"


def test_it_ends_in_sync_despite_frequent_transient_faults(sandbox, worker, settings):
    settings.WECOM_READ_TIMEOUT = 0.5
    settings.SYNC_MAX_TRIES = 12
    meetings = [import_new(sandbox, title=f"会议 {n}") for n in range(40)]
    # Together about 30% of the calls meet a fault: the kinds a network and a busy WeCom
    # produce, some of them after WeCom applied the change.
    for seed, (kind, value, after) in enumerate(
        [
            ("timeout", 1, False),
            ("disconnect", None, False),
            ("disconnect", None, True),
            ("http_status", 502, False),
            ("errcode", -1, False),
        ]
    ):
        spec = {"path": "*", "kind": kind, "rate": 0.07, "seed": seed}
        if value is not None:
            spec["value"] = value
        if after:
            spec["after"] = True
        sandbox.fault(**spec)

    for round_number in range(1, 6):
        for index, meeting in enumerate(meetings):
            meetings[index] = edit(
                meeting,
                title=f"会议 {index} 第 {round_number} 版",
                location=f"{round_number} 号会议室",
            )

    meetings = wait_settled(*meetings, timeout=120)
    assert {m.sync_state for m in meetings} == {SyncState.SYNCED}
    faults = [r for r in sandbox.requests() if r["fault"]]
    sandbox.clear_faults()
    for meeting in meetings:
        meeting = Meeting.objects.prefetch_related("participants").get(pk=meeting.pk)
        desired = payloads.desired_body(meeting)
        stored = sandbox_view(sandbox, meeting.meetingid)
        assert stored["title"] == desired["title"]
        assert stored["location"] == desired["location"]
        assert stored["meeting_start"] == desired["meeting_start"]
    assert len(faults) > 20


def test_it_fails_on_a_permanent_error_without_retrying(sandbox, worker):
    meeting = import_new(sandbox)
    sandbox.fault(path="meeting/update", kind="errcode", value=400031, times=5)

    meeting = edit(meeting, settings={"enable_enroll": True})

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.FAILED
    assert meeting.sync_errcode == 400031
    assert meeting.sync_error_field == "settings"
    assert meeting.sync_error == in_site_language(PermanentError("meeting/update", 400031).message)
    assert len(sandbox.requests("meeting/update")) == 1
    assert SyncAttempt.objects.filter(meeting=meeting, outcome="failed").count() == 1


def test_it_spends_one_gettoken_when_the_token_expires_mid_run(sandbox, worker):
    meetings = [import_new(sandbox, title=f"会议 {n}") for n in range(3)]
    meetings = [edit(m, title=f"{m.title}（改）") for m in meetings]
    wait_settled(*meetings)
    before = len(sandbox.requests("gettoken"))

    sandbox.control("DELETE", "tokens")
    meetings = [edit(m, location="新地点") for m in meetings]

    meetings = wait_settled(*meetings)
    assert {m.sync_state for m in meetings} == {SyncState.SYNCED}
    assert len(sandbox.requests("gettoken")) - before == 1


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BrokerDown:
    """Point the app at a broker that does not answer (a closed port), as if it were down."""

    def __enter__(self):
        # Tasks are published to broker_write_url. broker_url itself cannot be overridden
        # while CELERY_BROKER_URL is in the environment (celery reads that first).
        self.url = app.conf.get("broker_write_url")
        self.options = app.conf.broker_transport_options
        app.conf.broker_write_url = f"redis://127.0.0.1:{closed_port()}/0"
        app.conf.broker_transport_options = {"socket_connect_timeout": 1}
        self._forget_connections()
        return self

    def __exit__(self, *exc):
        app.conf.broker_write_url = self.url
        app.conf.broker_transport_options = self.options
        self._forget_connections()

    def _forget_connections(self):
        app.amqp._producer_pool = None
        app._pool = None


def test_it_saves_while_the_broker_is_down_and_syncs_once_it_is_back(sandbox, worker):
    meeting = import_new(sandbox)

    with BrokerDown():
        started = time.monotonic()
        meeting = edit(meeting, title="代理断开时保存")
        # The administrator waits a moment, not for a broker that will not answer.
        assert time.monotonic() - started < 5
        assert fresh(meeting).title == "代理断开时保存"
        assert fresh(meeting).sync_state == SyncState.PENDING

    assert sandbox.requests("meeting/update") == []
    tasks.sweep()

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert sandbox.meeting(meeting.meetingid)["title"] == "代理断开时保存"


def test_it_takes_in_a_change_made_in_wecom(sandbox, worker):
    meeting = import_new(sandbox)
    sandbox.patch_meeting(meeting.meetingid, description="在企业微信里写的说明")

    meeting = edit(meeting, title="这边改标题")

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert meeting.description == "在企业微信里写的说明"
    stored = sandbox.meeting(meeting.meetingid)
    assert stored["title"] == "这边改标题"
    assert stored["description"] == "在企业微信里写的说明"


def test_it_shows_a_conflict_when_a_field_changed_on_both_sides(sandbox, worker):
    meeting = import_new(sandbox)
    sandbox.patch_meeting(meeting.meetingid, title="企业微信里的标题")

    meeting = edit(meeting, title="这边的标题")

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.CONFLICT
    assert meeting.conflict == {"title": {"mine": "这边的标题", "wecom": "企业微信里的标题"}}
    assert sandbox.requests("meeting/update") == []

    meeting_actions.resolve_conflict(meeting, {"title": "mine"}, actor=None)

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert sandbox.meeting(meeting.meetingid)["title"] == "这边的标题"


def test_it_lets_one_of_two_administrators_saving_the_same_version_win(sandbox, worker):
    meeting = import_new(sandbox)
    loaded = fresh(meeting)

    first = payloads.desired_body(loaded) | {"title": "甲的标题"}
    second = payloads.desired_body(loaded) | {"title": "乙的标题"}
    meeting_actions.edit_meeting(loaded, first, actor=None, loaded_version=loaded.version)
    with pytest.raises(StaleVersion):
        meeting_actions.edit_meeting(loaded, second, actor=None, loaded_version=loaded.version)

    (meeting,) = wait_settled(meeting)
    assert sandbox.meeting(meeting.meetingid)["title"] == "甲的标题"
    assert meeting.title == "甲的标题"


def test_it_queues_the_sync_only_once_the_save_is_committed(sandbox, worker):
    meeting = import_new(sandbox)

    with transaction.atomic():
        meeting = edit(meeting, title="提交后才同步")
        # The worker could not see this version yet; nothing may have been queued for it.
        wait_for(lambda: True)
        assert sandbox.requests("meeting/update") == []

    (meeting,) = wait_settled(meeting)
    assert sandbox.meeting(meeting.meetingid)["title"] == "提交后才同步"
