"""Each action leaves one event: who, what, which meeting, old -> new, from where, outcome."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from meetings import audit, payloads, sync
from meetings.actions import meeting as meeting_actions
from meetings.actions.errors import StaleVersion
from meetings.models import AuditEvent, Meeting, SyncAttempt, SyncState
from tests.meetings.factories import form_data, make_meeting

pytestmark = pytest.mark.django_db


def test_it_records_an_edit_with_who_where_and_old_and_new(client_for):
    meeting = make_meeting(title="周会", settings={"password": "1234"})

    client_for("administrator").post(
        reverse("meetings:edit", args=[meeting.pk]),
        form_data(meeting, title="例会", **{"settings-password": "5678"}),
        REMOTE_ADDR="192.0.2.7",
    )

    event = AuditEvent.objects.get(action="edit")
    assert (event.actor_username, event.meetingid, event.title) == (
        "wang.admin",
        meeting.meetingid,
        "例会",
    )
    # Pending until the worker has read WeCom back and settled it.
    assert (event.source_ip, event.outcome, event.version) == ("192.0.2.7", "pending", 2)
    assert {"field": "title", "old": "周会", "new": "例会"} in event.changes
    assert {
        "field": "settings.password",
        "old": audit.MASK,
        "new": audit.MASK,
        "secret": True,
    } in event.changes


def test_it_records_the_ring_scope_without_an_empty_list_beside_it(client_for):
    meeting = make_meeting(settings={"remind_scope": 2})

    client_for("administrator").post(
        reverse("meetings:edit", args=[meeting.pk]),
        form_data(meeting, **{"settings-remind_scope": 4}),
    )

    event = AuditEvent.objects.get(action="edit")
    assert event.changes == [{"field": "settings.remind_scope", "old": 2, "new": 4}]


def test_it_believes_x_forwarded_for_only_behind_a_trusted_proxy(client_for, settings):
    meeting = make_meeting()
    client = client_for("administrator")
    url = reverse("meetings:edit", args=[meeting.pk])
    headers = {"REMOTE_ADDR": "10.0.0.9", "HTTP_X_FORWARDED_FOR": "203.0.113.5, 10.0.0.9"}

    client.post(url, form_data(meeting, title="一"), **headers)
    settings.TRUST_X_FORWARDED_FOR = True
    meeting.refresh_from_db()
    client.post(url, form_data(meeting, title="二"), **headers)

    edits = AuditEvent.objects.filter(action="edit").order_by("pk")
    addresses = list(edits.values_list("source_ip", flat=True))
    assert addresses == ["10.0.0.9", "203.0.113.5"]


def test_it_records_an_edit_refused_as_stale_and_keeps_the_newer_one(people):
    meeting = make_meeting(title="周会")
    body = payloads.desired_body(meeting)
    meeting_actions.edit_meeting(
        meeting, {**body, "title": "甲"}, actor=people["administrator"], loaded_version=1
    )

    with pytest.raises(StaleVersion):
        meeting_actions.edit_meeting(
            meeting,
            {**body, "title": "乙"},
            actor=people["superuser"],
            loaded_version=1,
            source_ip="10.1.1.1",
        )

    refused = AuditEvent.objects.get(outcome="refused")
    assert (refused.action, refused.actor_username, refused.source_ip) == (
        "edit",
        "root",
        "10.1.1.1",
    )
    assert Meeting.objects.get(pk=meeting.pk).title == "甲"


def test_it_writes_no_event_for_an_edit_that_changes_nothing(people):
    meeting = make_meeting()

    meeting_actions.edit_meeting(
        meeting, payloads.desired_body(meeting), actor=people["administrator"], loaded_version=1
    )

    assert not AuditEvent.objects.filter(action="edit").exists()


def test_it_records_a_retry_and_a_settled_conflict(people):
    meeting = make_meeting(title="周会")
    Meeting.objects.filter(pk=meeting.pk).update(
        sync_state=SyncState.FAILED,
        sync_error="WeCom refused",
        version=2,
        synced_version=1,
        synced_state=payloads.desired_body(meeting),
    )
    meeting_actions.retry_sync(meeting, actor=people["administrator"], source_ip="10.0.0.3")
    Meeting.objects.filter(pk=meeting.pk).update(
        sync_state=SyncState.CONFLICT,
        conflict={"title": {"mine": "周会", "wecom": "WeCom 的周会"}},
    )

    meeting_actions.resolve_conflict(meeting, {"title": "wecom"}, actor=people["administrator"])

    retry, resolve = AuditEvent.objects.filter(action__in=["retry", "resolve_conflict"]).order_by(
        "pk"
    )
    assert (retry.action, retry.source_ip, retry.detail) == (
        "retry",
        "10.0.0.3",
        "failed: WeCom refused",
    )
    assert resolve.action == "resolve_conflict"
    assert resolve.changes == [
        {"field": "title", "old": "周会", "new": "WeCom 的周会", "choice": "wecom"}
    ]


def test_it_records_an_import_by_a_command_as_the_system(sandbox):
    meetingid = sandbox.create_meeting(title="导入的会", settings={"password": "9876"})
    from meetings import importing

    importing.import_by_id(meetingid)

    event = AuditEvent.objects.get(action="import")
    assert (event.actor_username, event.actor_id, event.meetingid) == ("system", None, meetingid)
    assert {"field": "title", "old": None, "new": "导入的会"} in event.changes
    assert "9876" not in str(event.changes)


def test_it_records_no_row_for_what_an_imported_meeting_leaves_empty(sandbox):
    from meetings import importing

    importing.import_by_id(sandbox.create_meeting(title="无密码的会"))

    event = AuditEvent.objects.get(action="import")
    assert {"field": "title", "old": None, "new": "无密码的会"} in event.changes
    empty = [r for r in event.changes if r["old"] in (None, "") and r["new"] in (None, "", [])]
    assert empty == []
    assert "settings.password" not in {row["field"] for row in event.changes}


def test_it_links_each_sync_attempt_to_the_edit_it_carried(sandbox, people):
    from meetings import importing

    meeting, _ = importing.import_by_id(sandbox.create_meeting(title="周会"))
    body = payloads.desired_body(meeting)
    meeting_actions.edit_meeting(
        meeting,
        {**body, "title": "例会"},
        actor=people["administrator"],
        loaded_version=meeting.version,
    )

    sync.reconcile(meeting.pk)

    edit = AuditEvent.objects.get(action="edit")
    attempts = SyncAttempt.objects.filter(meeting_id=meeting.pk)
    assert {a.path for a in attempts} == {"meeting/get_info", "meeting/update"}
    assert {a.event_id for a in attempts} == {edit.pk}


def test_it_records_log_in_log_out_and_role_changes(client, people):
    client.post(
        reverse("login"),
        {"username": "li.audit", "password": "correct-horse-9"},
        REMOTE_ADDR="10.2.2.2",
    )
    client.post(reverse("logout"), REMOTE_ADDR="10.2.2.2")
    people["auditor"].groups.add(Group.objects.get(name="会议管理员"))

    rows = AuditEvent.objects.filter(action__in=["login", "logout", "role_change"]).order_by("pk")
    assert [(e.action, e.actor_username) for e in rows][-3:] == [
        ("login", "li.audit"),
        ("logout", "li.audit"),
        ("role_change", "system"),
    ]
    change = rows.last()
    assert change.changes == [{"field": "group", "old": "", "new": "会议管理员"}]
    assert change.detail == "user li.audit"


def test_it_names_the_superuser_who_changed_a_role_in_the_admin(client_for, people):
    user = people["administrator"]
    data = {
        "username": user.username,
        "is_active": "on",
        "groups": [Group.objects.get(name="审计员").pk],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
    }

    response = client_for("superuser").post(
        reverse("admin:auth_user_change", args=[user.pk]), data, REMOTE_ADDR="10.3.3.3"
    )

    assert response.status_code == 302
    changes = AuditEvent.objects.filter(action="role_change", actor_username="root")
    rows = [row for event in changes for row in event.changes]
    assert {"field": "group", "old": "", "new": "审计员"} in rows
    assert {"field": "group", "old": "会议管理员", "new": ""} in rows
    assert {e.source_ip for e in changes} == {"10.3.3.3"}
