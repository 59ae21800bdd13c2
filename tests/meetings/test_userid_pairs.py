"""A meeting's lists read as a column of its own query (the sync's load) are the lists."""

import pytest

from meetings.models import Meeting, UseridPairs

from .factories import make_meeting

pytestmark = pytest.mark.django_db


def lists(meeting):
    return meeting.invitees, meeting.hosts, meeting.ring_users


def test_the_lists_read_in_the_meetings_query_keep_their_order():
    # Out of alphabetical order on purpose: the order is WeCom's, not the database's.
    meeting = make_meeting(
        invitees=["wangwu", "lisi", "zhaoliu", "zhangsan"],
        settings={"hosts": ["zhaoliu", "lisi"], "remind_scope": 4, "ring_users": ["wangwu"]},
    )
    empty = make_meeting(invitees=[])

    found = Meeting.objects.annotate(pairs=UseridPairs()).in_bulk([meeting.pk, empty.pk])

    read = found[meeting.pk].load_userids(found[meeting.pk].pairs)
    assert lists(read) == (
        ["wangwu", "lisi", "zhaoliu", "zhangsan"],
        ["zhaoliu", "lisi"],
        ["wangwu"],
    )
    assert lists(read) == lists(Meeting.objects.get(pk=meeting.pk).load_userids())
    assert lists(found[empty.pk].load_userids(found[empty.pk].pairs or [])) == ([], [], [])
