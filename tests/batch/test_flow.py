"""A batch change through its pages, with the test client: chosen in the list, previewed with
the rules' verdicts, confirmed as one action per meeting, each with its audit event."""

import re

import pytest
from django.urls import reverse

from meetings import payloads
from meetings.actions import batch as batch_actions
from meetings.actions import meeting as meeting_actions
from meetings.chain import verify_chain
from meetings.models import AuditEvent, Batch, Meeting, SyncState
from tests.meetings.factories import local_unix, make_meeting

pytestmark = pytest.mark.django_db


def choose(client, meetings):
    response = client.post(
        reverse("meetings:batch_new"), {"meeting": [m.pk for m in meetings], "filter": ""}
    )
    assert response.status_code == 302, response
    return Batch.objects.get()


def set_change(client, chosen, **data):
    response = client.post(reverse("meetings:batch_change", args=[chosen.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("meetings:batch_preview", args=[chosen.pk])
    chosen.refresh_from_db()
    return chosen


def test_it_turns_the_waiting_room_on_for_the_ticked_meetings_and_leaves_out_a_refused_one(
    office_client,
):
    first = make_meeting(title="周会 A", meeting_start=local_unix(3))
    second = make_meeting(title="周会 B", meeting_start=local_unix(4))
    # Already ended: the edit page would refuse it too.
    ended = make_meeting(title="已结束", meeting_start=local_unix(5), status=3)
    chosen = choose(office_client, [first, second, ended])
    # Each option names its setting: the closed list shows the option alone.
    form = office_client.get(reverse("meetings:batch_change", args=[chosen.pk]))
    assert re.search(
        r'<option value="enable_waiting_room=1"[^>]*>等候室：开启</option>', form.content.decode()
    )
    set_change(office_client, chosen, kind="setting", setting="enable_waiting_room=1")

    page = office_client.get(reverse("meetings:batch_preview", args=[chosen.pk]))
    assert page.status_code == 200
    rows = {row.meeting.pk: row for row in page.context["rows"]}
    assert rows[first.pk].state == batch_actions.CHANGE
    line = rows[first.pk].changes[0]
    assert (line.label, line.old, line.new) == ("等候室", "否", "是")
    assert rows[ended.pk].state == batch_actions.REFUSED
    assert rows[ended.pk].reasons

    response = office_client.post(reverse("meetings:batch_confirm", args=[chosen.pk]))
    assert response.status_code == 302
    chosen.refresh_from_db()
    assert (chosen.applied, chosen.refused, chosen.unchanged) == (2, 1, 0)
    for meeting in (first, second):
        fresh = Meeting.objects.select_related("settings").get(pk=meeting.pk)
        assert fresh.settings.enable_waiting_room is True
        assert fresh.version == meeting.version + 1
        assert fresh.sync_state == SyncState.PENDING
    assert Meeting.objects.get(pk=ended.pk).version == ended.version

    events = AuditEvent.objects.filter(batch=chosen).order_by("pk")
    assert [(e.meeting_id, e.action, e.outcome) for e in events] == [
        (first.pk, "edit", "pending"),
        (second.pk, "edit", "pending"),
        (ended.pk, "edit", "refused"),
    ]
    assert events[0].changes == [
        {"field": "settings.enable_waiting_room", "old": False, "new": True}
    ]
    assert events[0].version == first.version + 1
    assert verify_chain(AuditEvent.objects.order_by("pk")).broken is None

    progress = office_client.get(reverse("meetings:batch", args=[chosen.pk]))
    assert progress.context["counts"] == {"done": 0, "waiting": 2, "failed": 0}
    # The first count is of the meetings changed, not of all those chosen (3).
    assert re.search(
        r'data-count="total"[^>]*>已修改</a> <span class="count">2</span>',
        progress.content.decode(),
    )


def test_a_cancellation_says_on_a_recurring_meetings_row_that_every_meeting_to_come_goes(
    office_client,
):
    series = make_meeting(title="每周例会", reminders={"is_repeat": 1, "repeat_type": 1})
    once = make_meeting(title="一次性会议", meeting_start=local_unix(4))
    chosen = set_change(office_client, choose(office_client, [series, once]), kind="cancel")

    page = office_client.get(reverse("meetings:batch_preview", args=[chosen.pk]))

    rows = dict(re.findall(r'<tr data-meeting="(\d+)"(.*?)</tr>', page.content.decode(), re.S))
    note = "这是周期性会议"
    assert note in rows[str(series.pk)] and note not in rows[str(once.pk)]
    # The labels of what changes end with the language's own colon.
    assert "会议状态：</span>" in rows[str(series.pk)]


def test_all_meetings_matching_the_filter_are_chosen_not_only_the_page(office_client):
    for n in range(30):
        make_meeting(title=f"预算评审 {n}", meeting_start=local_unix(2, hour=8 + n % 10))
    make_meeting(title="周会", meeting_start=local_unix(3))
    listed = office_client.get(reverse("meetings:list"), {"q": "预算评审"})
    assert 'value="filter"' in listed.content.decode()
    response = office_client.post(
        reverse("meetings:batch_new"), {"scope": "filter", "filter": "q=预算评审&page=2"}
    )
    chosen = Batch.objects.get()
    assert response["Location"] == reverse("meetings:batch_change", args=[chosen.pk])
    titles = Meeting.objects.filter(pk__in=[pk for pk, _v in chosen.meetings])
    assert titles.count() == 30
    assert not titles.filter(title="周会").exists()
    page = office_client.get(reverse("meetings:batch_change", args=[chosen.pk]))
    assert "q=%E9%A2%84" in page.context["back"] or "q=预算评审" in page.context["back"]


def test_an_id_no_meeting_can_have_is_left_out_as_one_typed_wrong(office_client):
    """Beyond the database's integers: SQLite refuses such a number in a query."""
    too_long = ["99999999999999999999", "9" * 5000]
    response = office_client.post(reverse("meetings:batch_new"), {"meeting": too_long})
    assert response.status_code == 302
    assert not Batch.objects.exists()


def test_a_filter_with_a_date_out_of_range_chooses_what_the_list_shows(office_client):
    make_meeting(title="周会", meeting_start=local_unix(3))
    response = office_client.post(
        reverse("meetings:batch_new"), {"scope": "filter", "filter": "date_from=0001-01-01"}
    )
    chosen = Batch.objects.get()
    assert response["Location"] == reverse("meetings:batch_change", args=[chosen.pk])
    assert len(chosen.meetings) == 1


def test_nothing_ticked_or_a_change_typed_wrong_is_said_next_to_its_field(office_client):
    response = office_client.post(reverse("meetings:batch_new"), {"meeting": ["²", "x"]})
    assert response.status_code == 302
    assert not Batch.objects.exists()

    chosen = choose(office_client, [make_meeting()])
    url = reverse("meetings:batch_change", args=[chosen.pk])
    for data, field in (
        ({"kind": "setting", "setting": "enable_waiting_room=2"}, "setting"),
        ({"kind": "setting", "setting": "password=1234"}, "setting"),
        ({"kind": "add_person", "role": "host", "person": "li\x00si"}, "person"),
        ({"kind": "add_person", "role": "host", "person": "李 四"}, "person"),
        ({"kind": "remove_person", "role": "boss", "person": "lisi"}, "role"),
        ({"kind": "calendar", "cal_id": "not-ours"}, "cal_id"),
        ({"kind": "rename"}, "kind"),
    ):
        response = office_client.post(url, data)
        assert response.status_code == 200, data
        assert response.context["form"].errors[field], data
    chosen.refresh_from_db()
    assert chosen.kind == ""


def shown_counts(response):
    """The totals beside the confirm button, as the page reads: {"change": 5, …}."""
    found = re.findall(
        r'data-count="(\w+)"><span class="badge \w+">[^<]*</span> (\d+)</li>',
        response.content.decode(),
    )
    return {name: int(count) for name, count in found}


def test_the_totals_follow_meetings_saved_after_they_were_first_shown(office_client):
    meetings = [make_meeting(title=f"周会 {n}", meeting_start=local_unix(2 + n)) for n in range(4)]
    chosen = choose(office_client, meetings)
    set_change(office_client, chosen, kind="setting", setting="enable_waiting_room=1")
    summary_url = reverse("meetings:batch_summary", args=[chosen.pk])
    assert shown_counts(office_client.get(summary_url)) == {
        "change": 4,
        "refused": 0,
        "unchanged": 0,
    }

    # Someone saves two of them meanwhile; the administrator reloads the preview at once.
    for meeting in meetings[:2]:
        body = payloads.desired_body(meeting.load_userids())
        body["title"] = f"{meeting.title}（改）"
        meeting_actions.edit_meeting(meeting, body, actor=None, loaded_version=meeting.version)
    rows = office_client.get(reverse("meetings:batch_preview", args=[chosen.pk])).context["rows"]
    states = [row.state for row in rows]
    totals = shown_counts(office_client.get(summary_url))
    assert totals == {
        "change": states.count(batch_actions.CHANGE),
        "refused": states.count(batch_actions.REFUSED),
        "unchanged": states.count(batch_actions.UNCHANGED),
    }
    assert totals == {"change": 2, "refused": 2, "unchanged": 0}

    # …and confirming does what the totals said.
    office_client.post(reverse("meetings:batch_confirm", args=[chosen.pk]))
    chosen.refresh_from_db()
    assert (chosen.applied, chosen.refused, chosen.unchanged) == (2, 2, 0)
