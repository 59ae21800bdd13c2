"""A confirmed batch's page, as administrators follow it: what the summary says while the
worker has meetings in hand, and why each refused meeting was left out."""

import re

import pytest
from django.urls import reverse

from meetings import audit
from meetings.actions import batch as batch_actions
from meetings.models import AuditEvent, Batch, Meeting, Person, SyncState
from meetings.payloads import apply_body
from meetings.sync.endings import Ending, Settlement
from tests.meetings.factories import confirmed_batch, local_unix, make_meeting

pytestmark = pytest.mark.django_db

ANSWERED = "企业微信已对每个会议作出答复。"
SENDING = "后台正在将修改发送到企业微信；本页会随之更新。"


def confirmed(people, meetings, change):
    return confirmed_batch(meetings, change, people["administrator"])


def settle(meeting, outcome, sync_state):
    """The worker's ending for the meeting's batch action, as WeCom answered it."""
    meeting = Meeting.objects.get(pk=meeting.pk)

    class Lease:
        pk = meeting.pk

    settlement = Settlement(outcome)
    found = audit.causes(meeting.pk, meeting.version, **settlement.which)
    Ending(Lease(), version=meeting.version)._settle(settlement, *found)
    Meeting.objects.filter(pk=meeting.pk).update(sync_state=sync_state)


def test_after_a_retry_the_page_does_not_say_wecom_has_answered_for_every_meeting(
    people, client_for
):
    done, failed = (make_meeting(meeting_start=local_unix(2 + n)) for n in range(2))
    the_batch = confirmed(
        people,
        [done, failed],
        batch_actions.Change(Batch.Kind.SETTING, "settings.enable_enroll", True),
    )
    settle(done, AuditEvent.Outcome.OK, SyncState.SYNCED)
    settle(failed, AuditEvent.Outcome.FAILED, SyncState.FAILED)
    client = client_for("administrator")
    url = reverse("meetings:batch", args=[the_batch.pk])
    page = client.get(url).content.decode()
    assert ANSWERED in page and SENDING not in page

    # Retry from the failed row: the row reads Failed, waiting to sync, until the worker ends.
    client.post(reverse("meetings:sync_retry", args=[failed.pk]), {"part": "badge"})
    page = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-sync-state="pending"' in page
    assert ANSWERED not in page and SENDING in page
    assert 'hx-trigger="every 2s"' in page

    settle(failed, AuditEvent.Outcome.OK, SyncState.SYNCED)
    page = client.get(url).content.decode()
    assert ANSWERED in page and SENDING not in page


@pytest.fixture
def left_out(people):
    """A batch that takes lisi off the invitees of two meetings: one was saved by someone
    else after it was chosen, the other has lisi as a host, who must stay invited."""
    saved, hosted = (
        make_meeting(title=title, meeting_start=local_unix(2 + n), invitees=["lisi"])
        for n, title in enumerate(("研发每日站会", "周会"))
    )
    make_host = batch_actions.Change(Batch.Kind.ADD_PERSON, role="host", userid="lisi")
    body = make_host.apply(batch_actions.whole_body(hosted.load_userids()))
    apply_body(hosted, {"settings": body["settings"]})
    the_batch = batch_actions.choose(
        Meeting.objects.filter(pk__in=[saved.pk, hosted.pk]).order_by("start", "pk"),
        actor=people["administrator"],
    )
    batch_actions.set_change(
        the_batch, batch_actions.Change(Batch.Kind.REMOVE_PERSON, role="invitee", userid="lisi")
    )
    Meeting.objects.filter(pk=saved.pk).update(version=saved.version + 1)
    Person.objects.create(userid="lisi", name="李四")
    batch_actions.confirm(the_batch, actor=people["administrator"])
    return the_batch, saved, hosted


def refused_rows(client, the_batch, language):
    page = client.get(
        reverse("meetings:batch", args=[the_batch.pk]),
        {"state": "refused"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    rows = re.findall(
        r'<tr data-meeting="(\d+)" data-state="refused">\s*<td>.*?</td>\s*<td>(.*?)</td>',
        page.content.decode(),
        re.S,
    )
    return {int(pk): " ".join(re.sub(r"<[^>]+>", " ", cell).split()) for pk, cell in rows}


def test_a_refused_meeting_says_why_in_the_readers_language(left_out, client_for):
    the_batch, saved, hosted = left_out
    client = client_for("administrator")
    assert refused_rows(client, the_batch, "en") == {
        saved.pk: "Refused Saved by someone else (or changed in WeCom) after it was chosen: "
        "choose the meetings again.",
        hosted.pk: "Refused Hosts: 李四 (lisi) is a host, or one to ring, here: take them off "
        "that list first (a batch change of its own), then out of the invitees.",
    }
    assert refused_rows(client, the_batch, "zh-hans") == {
        saved.pk: "已拒绝 选中后已被他人保存（或在企业微信中修改）：请重新选择会议。",
        hosted.pk: "已拒绝 主持人：李四 (lisi)是主持人或需响铃的成员：请先将其从该列表中移除"
        "（单独进行一次批量修改），再从受邀成员中移除。",
    }


def test_auditors_read_why_in_their_language_too(left_out, client_for):
    the_batch, saved, _hosted = left_out
    event = AuditEvent.objects.get(batch=the_batch, meeting=saved)
    url = reverse("admin:meetings_auditevent_change", args=[event.pk])
    for language, words in (
        ("en", "left out: Saved by someone else (or changed in WeCom) after it was chosen"),
        ("zh-hans", "未纳入批量修改：选中后已被他人保存（或在企业微信中修改）"),
    ):
        page = client_for("auditor", HTTP_ACCEPT_LANGUAGE=language).get(url)
        assert words in page.content.decode()


def test_a_reason_recorded_in_the_words_of_the_day_is_shown_as_written(people, client_for):
    meeting = make_meeting(title="研发每日站会")
    the_batch = Batch.objects.create(
        actor_username="office",
        state=Batch.State.CONFIRMED,
        kind=Batch.Kind.SETTING,
        change={"field": "settings.enable_waiting_room", "value": True},
        meetings=[[meeting.pk, meeting.version - 1]],
        refused=1,
    )
    written = "选中后已被他人保存（或在企业微信中修改）：请重新选择会议。"
    audit.record(
        AuditEvent.Action.EDIT,
        meeting=meeting,
        outcome=AuditEvent.Outcome.REFUSED,
        detail=written,
        batch=the_batch,
    )
    client = client_for("administrator")
    assert refused_rows(client, the_batch, "en") == {meeting.pk: f"Refused {written}"}
