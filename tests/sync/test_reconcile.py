"""One run of the sync against the sandbox, called directly (no worker, no broker)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from meetings import importing, presenters, sync
from meetings.actions import meeting as meeting_actions
from meetings.actions.errors import ActionError
from meetings.models import AuditEvent, Meeting, Status, SyncAttempt, SyncState
from tests.access.conftest import person
from wecom.client import WeComClient, get_client
from wecom.errors import PermanentError

from .conftest import edit, import_new, in_site_language, sandbox_view

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _runs_by_hand(monkeypatch):
    """These tests run the sync themselves, one step at a time: a worker left running by an
    earlier test must not take the meeting from them."""
    monkeypatch.setattr("meetings.tasks.enqueue_after_save", lambda pk: None)
    monkeypatch.setattr("meetings.tasks.enqueue", lambda pk, countdown=None: None)


def fresh(meeting):
    return Meeting.objects.get(pk=meeting.pk)


def updates(sandbox):
    return sandbox.requests("meeting/update")


def test_it_sends_an_edit_and_records_what_wecom_confirmed(sandbox):
    meeting = edit(import_new(sandbox), title="季度复盘", location="3楼")

    result = sync.reconcile(meeting.pk)

    meeting = fresh(meeting)
    assert result.outcome == sync.SYNCED
    assert meeting.sync_state == SyncState.SYNCED
    assert meeting.synced_version == meeting.version
    assert meeting.synced_at is not None
    assert meeting.synced_state["title"] == "季度复盘"
    assert sandbox.meeting(meeting.meetingid)["title"] == "季度复盘"
    # Only what changed travels.
    assert updates(sandbox)[-1]["body"] == {
        "meetingid": meeting.meetingid,
        "title": "季度复盘",
        "location": "3楼",
    }


def test_it_does_nothing_for_a_version_already_synced(sandbox):
    meeting = edit(import_new(sandbox), title="季度复盘")
    sync.reconcile(meeting.pk)
    sandbox.clear_requests()

    result = sync.reconcile(meeting.pk)

    assert result.outcome == sync.NOTHING
    assert sandbox.requests() == []


def test_it_records_each_call_without_the_password(sandbox):
    meeting = edit(import_new(sandbox), settings={"password": "2468"})
    sync.reconcile(meeting.pk)

    attempts = list(SyncAttempt.objects.filter(meeting=meeting).order_by("started_at", "pk"))
    # Read, write, and one read back: what WeCom holds is what the run records.
    assert [a.path for a in attempts] == [
        "meeting/get_info",
        "meeting/update",
        "meeting/get_info",
    ]
    update = attempts[1]
    assert update.outcome == SyncAttempt.Outcome.OK
    assert update.version == fresh(meeting).version
    assert update.errcode == 0
    assert update.request["settings"]["password"] == "***"
    assert "2468" not in str(update.request)
    assert sandbox.meeting(meeting.meetingid)["settings"]["password"] == "2468"


def test_it_takes_in_a_change_made_in_wecom(sandbox):
    meeting = import_new(sandbox)
    sandbox.patch_meeting(meeting.meetingid, location="WeCom 里填的地点")
    meeting = edit(meeting, title="这边改的标题")

    sync.reconcile(meeting.pk)

    meeting = fresh(meeting)
    assert meeting.location == "WeCom 里填的地点"
    assert meeting.title == "这边改的标题"
    assert meeting.sync_state == SyncState.SYNCED
    assert sandbox.meeting(meeting.meetingid)["location"] == "WeCom 里填的地点"
    assert "location" not in updates(sandbox)[-1]["body"]
    # The record says who changed what: WeCom the location, the administrator the title.
    taken = AuditEvent.objects.get(meeting=meeting, detail=sync.TAKEN_IN)
    assert taken.actor_username == "system"
    assert [(c["field"], c["new"]) for c in taken.changes] == [("location", "WeCom 里填的地点")]


def test_it_stops_at_a_conflict_and_sends_nothing(sandbox):
    meeting = import_new(sandbox)
    sandbox.patch_meeting(meeting.meetingid, title="WeCom 的标题")
    meeting = edit(meeting, title="我的标题")

    result = sync.reconcile(meeting.pk)

    meeting = fresh(meeting)
    assert result.outcome == sync.CONFLICT
    assert meeting.sync_state == SyncState.CONFLICT
    assert meeting.conflict == {"title": {"mine": "我的标题", "wecom": "WeCom 的标题"}}
    assert updates(sandbox) == []
    # The record keeps what WeCom held, whether or not anyone ever settles the conflict.
    found = AuditEvent.objects.get(meeting=meeting, action="sync_result", outcome="conflict")
    assert found.changes == [{"field": "title", "old": "我的标题", "new": "WeCom 的标题"}]


@pytest.mark.parametrize(("choice", "expected"), [("mine", "我的标题"), ("wecom", "WeCom 的标题")])
def test_it_settles_a_conflict_as_the_administrator_chose(sandbox, choice, expected):
    meeting = import_new(sandbox)
    sandbox.patch_meeting(meeting.meetingid, title="WeCom 的标题")
    meeting = edit(meeting, title="我的标题")
    sync.reconcile(meeting.pk)

    meeting_actions.resolve_conflict(fresh(meeting), {"title": choice}, actor=None)
    assert fresh(meeting).sync_state == SyncState.PENDING
    sync.reconcile(meeting.pk)

    meeting = fresh(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert meeting.title == expected
    assert sandbox.meeting(meeting.meetingid)["title"] == expected
    assert meeting.conflict == {}


def outcome_of(event):
    return AuditEvent.objects.with_outcome().get(pk=event.pk).effective_outcome


@pytest.mark.parametrize(("choice", "expected"), [("mine", "ok"), ("wecom", "overridden")])
def test_the_record_never_calls_done_an_edit_whose_value_gave_way_to_wecoms(
    sandbox, choice, expected
):
    meeting = import_new(sandbox)
    sandbox.patch_meeting(meeting.meetingid, title="WeCom 的标题")
    meeting = edit(meeting, title="我的标题")
    sync.reconcile(meeting.pk)
    event = AuditEvent.objects.get(meeting=meeting, action="edit")

    meeting_actions.resolve_conflict(fresh(meeting), {"title": choice}, actor=None)
    sync.reconcile(meeting.pk)
    # Another edit and its sync change nothing of it.
    sync.reconcile(edit(meeting, location="5楼").pk)

    assert fresh(meeting).sync_state == SyncState.SYNCED
    assert outcome_of(event) == expected
    if choice == "wecom":
        assert event.settlements.order_by("-pk").first().detail == "WeCom's value kept: title"


def test_an_edit_that_lost_one_field_to_wecom_is_done_for_the_rest(sandbox):
    meeting = import_new(sandbox)
    sandbox.patch_meeting(meeting.meetingid, title="WeCom 的标题")
    meeting = edit(meeting, title="我的标题", location="3楼")
    sync.reconcile(meeting.pk)
    event = AuditEvent.objects.get(meeting=meeting, action="edit")

    meeting_actions.resolve_conflict(fresh(meeting), {"title": "wecom"}, actor=None)
    assert outcome_of(event) == "pending"
    sync.reconcile(meeting.pk)

    assert sandbox.meeting(meeting.meetingid)["location"] == "3楼"
    assert outcome_of(event) == "ok"
    details = list(event.settlements.order_by("pk").values_list("detail", flat=True))
    assert details[:2] == ["in conflict: title", "WeCom's value kept: title"]
    # Done, and said of the rest only: the newest settlement still names what gave way.
    assert details[2].startswith("WeCom holds the rest (attempts #")
    assert details[2].endswith("; WeCom's value kept: title")
    with translation.override("zh-hans"):
        assert presenters.detail_words(details[2]).endswith("已保留企业微信的值：标题")

    # An auditor asking what is still pending finds nothing of it: the pending settlement
    # the choice wrote is history now that a newer one settled the edit.
    auditor = Client()
    auditor.force_login(person("li.audit", "auditor"))
    changelist = reverse("admin:meetings_auditevent_changelist")
    pending = auditor.get(changelist, {"outcome": "pending", "q": meeting.meetingid})
    assert list(pending.context["cl"].result_list) == []
    done = auditor.get(changelist, {"outcome": "ok", "q": meeting.meetingid})
    assert event.pk in {e.pk for e in done.context["cl"].result_list}


def test_a_sync_that_stops_for_a_person_is_logged_as_a_warning(sandbox, caplog, settings):
    from meetings import tasks

    settings.SYNC_SETTLE_SECONDS = 0

    meeting = edit(import_new(sandbox), settings={"hosts": {"userid": ["lisi"]}})
    sandbox.fault(path="meeting/update", kind="errcode", value=400029)

    with caplog.at_level("INFO", logger="meetings.tasks"):
        tasks.sync_meeting(meeting.pk)

    [record] = [r for r in caplog.records if r.name == "meetings.tasks"]
    assert record.levelname == "WARNING"
    assert fresh(meeting).sync_state == SyncState.FAILED


def test_it_fails_at_once_with_wecoms_reason_on_the_field(sandbox):
    meeting = edit(import_new(sandbox), settings={"hosts": {"userid": ["lisi"]}})
    sandbox.fault(path="meeting/update", kind="errcode", value=400029)

    result = sync.reconcile(meeting.pk)

    meeting = fresh(meeting)
    assert result.outcome == sync.FAILED and result.retry_in is None
    assert meeting.sync_state == SyncState.FAILED
    assert meeting.sync_errcode == 400029
    assert meeting.sync_error_field == "settings.hosts"
    assert meeting.sync_error == in_site_language(PermanentError("meeting/update", 400029).message)
    assert SyncAttempt.objects.filter(meeting=meeting).first().outcome == "failed"


def test_it_retries_a_transient_error_later_and_says_when(sandbox):
    meeting = edit(import_new(sandbox), title="新标题")
    sandbox.fault(path="meeting/update", kind="errcode", value=-1)

    result = sync.reconcile(meeting.pk)

    meeting = fresh(meeting)
    assert result.outcome == sync.RETRY and result.retry_in > 0
    assert meeting.sync_state == SyncState.RETRYING
    assert meeting.next_attempt_at > timezone.now()
    assert meeting.sync_tries == 1
    assert sync.reconcile(meeting.pk).outcome == sync.SYNCED
    assert sandbox.meeting(meeting.meetingid)["title"] == "新标题"


def test_it_gives_up_after_the_last_try(sandbox, settings):
    settings.SYNC_MAX_TRIES = 3
    settings.LANGUAGE_CODE = "en"
    meeting = edit(import_new(sandbox), title="新标题")
    sandbox.fault(path="meeting/update", kind="http_status", value=502, times=10)

    outcomes = [sync.reconcile(meeting.pk).outcome for _ in range(4)]

    meeting = fresh(meeting)
    assert outcomes == [sync.RETRY, sync.RETRY, sync.FAILED, sync.NOTHING]
    assert meeting.sync_state == SyncState.FAILED
    assert "3 tries" in meeting.sync_error
    assert len(updates(sandbox)) == 3


def test_it_waits_out_wecoms_call_limit_for_every_meeting(sandbox):
    first = edit(import_new(sandbox), title="一")
    second = edit(import_new(sandbox), title="二")
    sandbox.fault(path="meeting/update", kind="errcode", value=45009)

    result = sync.reconcile(first.pk)
    sandbox.clear_requests()
    paused = sync.reconcile(second.pk)

    assert result.outcome == sync.RETRY
    assert fresh(first).next_attempt_at >= timezone.now() + timedelta(seconds=result.retry_in - 2)
    assert paused.outcome == sync.RETRY
    # WeCom blocks the one API: the other meeting still reads WeCom, but sends no update.
    assert [r["path"] for r in sandbox.requests()] == ["meeting/get_info"]
    assert fresh(second).sync_tries == 0


def test_it_fails_when_wecom_keeps_refusing_the_access_token(sandbox):
    meeting = edit(import_new(sandbox), title="新标题")
    sandbox.fault(path="meeting/get_info", kind="errcode", value=42001, times=4)

    first = sync.reconcile(meeting.pk)
    second = sync.reconcile(meeting.pk)

    meeting = fresh(meeting)
    assert first.outcome == sync.RETRY
    assert second.outcome == sync.FAILED
    assert meeting.sync_state == SyncState.FAILED
    assert meeting.sync_errcode == 42001
    assert meeting.sync_error


def test_it_stops_when_the_meeting_is_no_longer_scheduled_in_wecom(sandbox):
    meeting = edit(import_new(sandbox), title="新标题")
    sandbox.patch_meeting(meeting.meetingid, status=4)

    result = sync.reconcile(meeting.pk)

    meeting = fresh(meeting)
    assert result.outcome == sync.FAILED
    assert meeting.status == Status.CANCELLED
    assert meeting.sync_state == SyncState.FAILED
    assert str(Status.CANCELLED.label) in meeting.sync_error
    assert updates(sandbox) == []


def test_it_fails_a_meeting_whose_start_passed_before_it_synced(sandbox):
    meeting = edit(import_new(sandbox), title="新标题")
    Meeting.objects.filter(pk=meeting.pk).update(start=timezone.now() - timedelta(minutes=1))
    sandbox.clear_requests()

    result = sync.reconcile(meeting.pk)

    assert result.outcome == sync.FAILED
    assert fresh(meeting).sync_state == SyncState.FAILED
    assert fresh(meeting).sync_error
    assert sandbox.requests() == []


def test_it_leaves_a_meeting_alone_while_another_worker_holds_it(sandbox):
    meeting = edit(import_new(sandbox), title="新标题")
    assert sync.claim(meeting.pk, "other-worker", timezone.now())

    assert sync.reconcile(meeting.pk).outcome == sync.BUSY
    assert updates(sandbox) == []


def test_it_takes_over_a_meeting_whose_lease_ran_out(sandbox):
    meeting = edit(import_new(sandbox), title="新标题")
    Meeting.objects.filter(pk=meeting.pk).update(
        lease_owner="dead-worker",
        lease_expires=timezone.now() - timedelta(seconds=1),
        sync_state=SyncState.SYNCING,
    )

    assert sync.reconcile(meeting.pk).outcome == sync.SYNCED
    assert fresh(meeting).lease_owner == ""


class EditingClient(WeComClient):
    """The real client, with an administrator saving again while the update is out."""

    def __init__(self, meeting, **changes):
        real = get_client()
        super().__init__(
            real.base_url,
            real.corp_id,
            real._secret,
            real.agent_id,
            connect_timeout=2,
            read_timeout=2,
        )
        self.meeting = meeting
        self.changes = changes

    def meeting_update(self, body):
        answer = super().meeting_update(body)
        edit(self.meeting, **self.changes)
        return answer


def test_it_never_lets_an_older_edit_overwrite_a_newer_one(sandbox):
    meeting = edit(import_new(sandbox), title="第一版")
    sent_version = meeting.version

    result = sync.reconcile(meeting.pk, client=EditingClient(meeting, title="第二版"))

    meeting = fresh(meeting)
    assert result.outcome == sync.AGAIN
    assert meeting.synced_version == sent_version < meeting.version
    assert meeting.title == "第二版"
    assert sync.reconcile(meeting.pk).outcome == sync.SYNCED
    assert sandbox.meeting(meeting.meetingid)["title"] == "第二版"
    assert [u["body"]["title"] for u in updates(sandbox)] == ["第一版", "第二版"]


def test_it_finds_nothing_to_resend_after_an_answer_was_lost(sandbox):
    meeting = edit(import_new(sandbox), title="新标题")
    sandbox.fault(path="meeting/update", kind="disconnect", after=True)

    assert sync.reconcile(meeting.pk).outcome == sync.RETRY
    assert sync.reconcile(meeting.pk).outcome == sync.SYNCED

    assert len(updates(sandbox)) == 1
    assert sandbox_view(sandbox, meeting.meetingid)["title"] == "新标题"


# Inside one transaction the saves queue nothing on commit, so a worker left running by an
# earlier test cannot pick a meeting up before the sweep looks at it.
@pytest.mark.django_db
def test_it_sweeps_up_what_is_due_and_frees_dead_claims(sandbox):
    now = timezone.now()
    due = edit(import_new(sandbox), title="待同步")
    later = edit(import_new(sandbox), title="稍后重试")
    Meeting.objects.filter(pk=later.pk).update(
        sync_state=SyncState.RETRYING, next_attempt_at=now + timedelta(minutes=5)
    )
    dead = edit(import_new(sandbox), title="工作进程死了")
    Meeting.objects.filter(pk=dead.pk).update(
        sync_state=SyncState.SYNCING, lease_owner="gone", lease_expires=now - timedelta(seconds=1)
    )
    held = edit(import_new(sandbox), title="正在同步")
    sync.claim(held.pk, "alive", now)
    failed = edit(import_new(sandbox), title="失败")
    Meeting.objects.filter(pk=failed.pk).update(sync_state=SyncState.FAILED)
    synced = import_new(sandbox)

    pks = sync.sweep(now)

    assert set(pks) == {due.pk, dead.pk}
    assert fresh(dead).sync_state == SyncState.PENDING
    assert fresh(dead).lease_owner == ""
    assert synced.pk not in pks


def test_it_retries_a_failed_meeting_when_asked(sandbox):
    meeting = edit(import_new(sandbox), title="新标题")
    sandbox.fault(path="meeting/update", kind="errcode", value=400031)
    sync.reconcile(meeting.pk)

    meeting_actions.retry_sync(fresh(meeting), actor=None)

    meeting = fresh(meeting)
    assert meeting.sync_state == SyncState.PENDING
    assert meeting.sync_error == ""
    assert sync.reconcile(meeting.pk).outcome == sync.SYNCED


def test_it_refuses_to_retry_a_meeting_that_is_syncing_fine(sandbox):
    meeting = import_new(sandbox)
    with pytest.raises(ActionError):
        meeting_actions.retry_sync(meeting, actor=None)
    assert Meeting.objects.filter(pk=meeting.pk, version=F("synced_version")).exists()


class BrokenClient:
    def observed(self, observer):
        return self

    def meeting_get_info(self, meetingid):
        raise RuntimeError("a bug, not WeCom")


def test_it_retries_later_after_an_unexpected_error(sandbox):
    meeting = edit(import_new(sandbox), title="新标题")

    result = sync.reconcile(meeting.pk, client=BrokenClient())

    meeting = fresh(meeting)
    assert result.outcome == sync.RETRY
    assert meeting.sync_state == SyncState.RETRYING
    assert meeting.lease_owner == ""
    assert sync.reconcile(meeting.pk).outcome == sync.SYNCED


def _queries_of_a_run(meeting):
    """The database statements of one sync run, the cache's and transaction control left
    out: what the run itself asks of the database."""
    with CaptureQueriesContext(connection) as queries:
        assert sync.reconcile(meeting.pk).outcome == sync.SYNCED
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_cache" not in q["sql"]
        and not q["sql"].upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    ]


def test_a_run_sending_an_edit_asks_the_database_a_dozen_things_however_many_invitees(
    sandbox,
):
    # Claim, the meeting (with the causing event) and its lists, four attempts (the read, the
    # update before and after it is sent, the read-back), the release and the settlement (on
    # PostgreSQL with the audit chain's lock).
    few = edit(import_new(sandbox), title="新标题")
    sync.reconcile(few.pk)  # a first run fetches the token
    few = edit(few, title="再改一次")
    userids = [f"user{n:03}" for n in range(250)]
    sandbox.set_users(["zhangsan", "lisi", "wangwu", *userids])
    crowded = import_new(sandbox, invitees={"userid": userids[:100]})
    sandbox.call(
        "meeting/set_invitees",
        {
            "meetingid": crowded.meetingid,
            "invitees": [{"userid": u} for u in ["zhangsan", *userids]],
        },
    )
    crowded, _ = importing.import_by_id(crowded.meetingid)
    crowded = edit(crowded, title="新标题")

    asked = len(_queries_of_a_run(few))
    assert asked <= 12
    assert len(_queries_of_a_run(crowded)) == asked


def test_every_call_leaves_its_row_in_the_order_made_and_the_settlement_names_them(sandbox):
    meeting = edit(import_new(sandbox), title="季度复盘")

    assert sync.reconcile(meeting.pk).outcome == sync.SYNCED

    rows = list(
        SyncAttempt.objects.filter(meeting_id=meeting.pk).order_by("pk").values_list("pk", "path")
    )
    assert [path for _pk, path in rows] == [
        "meeting/get_info",
        "meeting/update",
        "meeting/get_info",
    ]
    settlement = AuditEvent.objects.get(meeting_id=meeting.pk, action=AuditEvent.Action.SYNC_RESULT)
    # The update and the read that confirmed it.
    assert f"#{rows[1][0]}, #{rows[2][0]}" in settlement.detail


def test_a_run_that_loses_its_lease_still_leaves_the_row_of_its_read(sandbox, monkeypatch):
    meeting = edit(import_new(sandbox), title="季度复盘")
    monkeypatch.setattr("meetings.sync.lease.Lease.extend", lambda lease: False)

    result = sync.reconcile(meeting.pk)

    assert (result.outcome, result.detail) == (sync.BUSY, "lease lost")
    assert list(
        SyncAttempt.objects.filter(meeting_id=meeting.pk).values_list("path", "outcome")
    ) == [("meeting/get_info", SyncAttempt.Outcome.OK)]
    assert not updates(sandbox)


def test_a_change_wecom_did_not_keep_yet_is_sent_again_without_asking_anyone(sandbox):
    meeting = edit(import_new(sandbox), location="3楼")
    # WeCom answers ok but keeps nothing, once.
    sandbox.fault(path="meeting/update", kind="errcode", value=0, times=1)

    assert sync.reconcile(meeting.pk).outcome == sync.RETRY

    meeting = fresh(meeting)
    assert meeting.sync_state == SyncState.RETRYING
    with translation.override("en"):
        words = presenters.problem_words(meeting.sync_problem)
    assert words == "WeCom did not keep Location as saved yet. It is sent again."
