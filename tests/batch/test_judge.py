"""How a batch judges each meeting: as its edit page would, the change applied to the whole
meeting, then the same rules and the same notion of "changed"; and what confirming writes."""

import time

import pytest
from django.utils import translation

from meetings.actions import batch as batch_actions
from meetings.models import Batch, Calendar, Meeting, Participant, SyncState
from tests.meetings.factories import confirmed_batch, local_unix, make_meeting

pytestmark = pytest.mark.django_db

Kind = Batch.Kind
NOW = int(time.time())


def verdict(meeting, change, **kwargs):
    [loaded] = batch_actions.load([meeting.pk])
    return batch_actions.judge(loaded, change, now=NOW, **kwargs)


def confirmed(meetings, change, people):
    return confirmed_batch(meetings, change, people["administrator"])


def test_turning_self_unmuting_off_mutes_everyone_as_the_edit_page_reveals_it(people):
    meeting = make_meeting()
    change = batch_actions.Change(Kind.SETTING, "settings.allow_unmute_self", False)
    found = verdict(meeting, change)
    assert found.state == batch_actions.CHANGE
    assert found.rows == [
        ("settings.allow_unmute_self", True, False),
        ("settings.mute_all", None, True),
    ]
    confirmed([meeting], change, people)
    settings = Meeting.objects.get(pk=meeting.pk).settings
    assert (settings.allow_unmute_self, settings.mute_all) == (False, True)


def test_ringing_the_hosts_only_drops_the_chosen_people_as_a_single_edit_does(people):
    meeting = make_meeting(
        invitees=["lisi", "wangwu"],
        settings={
            "remind_scope": 4,
            "ring_users": ["lisi"],
        },
    )
    change = batch_actions.Change(Kind.SETTING, "settings.remind_scope", 2)
    assert verdict(meeting, change).rows == [
        ("settings.remind_scope", 4, 2),
        ("settings.ring_users", ["lisi"], []),
    ]
    confirmed([meeting], change, people)
    assert not Participant.objects.filter(meeting=meeting, role="ring_user").exists()


def test_a_person_to_ring_where_nobody_chosen_is_rung_is_left_out_and_says_why():
    meeting = make_meeting(settings={"remind_scope": 2})
    found = verdict(meeting, batch_actions.Change(Kind.ADD_PERSON, role="ring_user", userid="lisi"))
    # Not "already so": nobody would ring them.
    assert found.state == batch_actions.REFUSED
    assert found.reasons == [batch_actions.NOT_RUNG]


def test_a_meeting_whose_sync_waits_for_a_choice_is_left_out():
    meeting = make_meeting()
    Meeting.objects.filter(pk=meeting.pk).update(sync_state=SyncState.CONFLICT)
    change = batch_actions.Change(Kind.SETTING, "settings.enable_waiting_room", True)
    found = verdict(meeting, change)
    assert found.state == batch_actions.REFUSED
    assert found.reasons == [batch_actions.IN_CONFLICT]


def test_taking_a_host_out_of_the_invitees_says_to_take_them_off_the_hosts_first():
    meeting = make_meeting(invitees=["lisi", "wangwu"], settings={"hosts": ["lisi"]})
    found = verdict(
        meeting, batch_actions.Change(Kind.REMOVE_PERSON, role="invitee", userid="lisi")
    )
    assert found.state == batch_actions.REFUSED
    with translation.override("en"):
        words = [str(reason.message) for reason in found.reasons]
    assert len(words) == 1 and words[0].startswith("lisi is a host, or one to ring, here")


def test_the_organiser_is_always_invited_so_taking_them_off_changes_nothing():
    meeting = make_meeting(admin_userid="zhangsan", invitees=["zhangsan", "lisi"])
    found = verdict(
        meeting, batch_actions.Change(Kind.REMOVE_PERSON, role="invitee", userid="ZhangSan")
    )
    assert found.state == batch_actions.UNCHANGED


def test_an_eleventh_host_is_refused_with_the_rules_reason():
    hosts = [f"host{n}" for n in range(10)]
    meeting = make_meeting(invitees=[*hosts, "lisi"], settings={"hosts": hosts})
    found = verdict(meeting, batch_actions.Change(Kind.ADD_PERSON, role="host", userid="lisi"))
    assert found.state == batch_actions.REFUSED
    assert [p.field for p in found.reasons] == ["settings.hosts"]
    assert "10" in batch_actions.reason_words(found.reasons[0])


def test_a_meeting_saved_since_it_was_chosen_is_left_out(people):
    meeting = make_meeting()
    change = batch_actions.Change(Kind.CALENDAR, cal_id="cal-sales")
    found = verdict(meeting, change, chosen_version=meeting.version - 1)
    assert found.state == batch_actions.REFUSED
    assert found.reasons == [batch_actions.CHANGED_SINCE]


def test_a_move_to_a_calendar_and_a_person_added_are_written_for_every_meeting(people):
    Calendar.objects.create(cal_id="cal-sales", summary="销售")
    meetings = [make_meeting(meeting_start=local_unix(2 + n)) for n in range(3)]
    confirmed(meetings, batch_actions.Change(Kind.CALENDAR, cal_id="cal-sales"), people)
    the_batch = confirmed(
        meetings, batch_actions.Change(Kind.ADD_PERSON, role="invitee", userid="zhaoliu"), people
    )
    assert the_batch.applied == 3
    for meeting in Meeting.objects.filter(pk__in=[m.pk for m in meetings]):
        assert meeting.cal_id == "cal-sales"
        assert meeting.invitees == ["lisi", "wangwu", "zhaoliu"]
        assert meeting.version == 3
