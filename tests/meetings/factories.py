"""Meetings for tests, written straight to the database the way an import writes them, and
what the tests of the pages read back from them."""

import re
from datetime import datetime, time, timedelta
from itertools import count

import pytest
from django.contrib.messages import get_messages
from django.http import QueryDict
from django.utils import timezone

from meetings import payloads
from meetings.actions import batch as batch_actions
from meetings.forms import CONDITIONAL, saved_data
from meetings.models import Meeting, Status

_numbers = count(1)


def local_unix(days_ahead=7, hour=10, minute=0, weekday=None):
    """Unix seconds of a local time some days ahead; with `weekday` (0 Monday), the first
    such weekday at least `days_ahead` days from today."""
    day = timezone.localdate() + timedelta(days=days_ahead)
    if weekday is not None:
        day += timedelta(days=(weekday - day.weekday()) % 7)
    moment = timezone.make_aware(datetime.combine(day, time(hour, minute)))
    return int(moment.timestamp())


def make_meeting(
    *,
    meetingid=None,
    status=Status.SCHEDULED,
    admin_userid="zhangsan",
    settings=None,
    reminders=None,
    **fields,
):
    """A saved meeting with its settings, reminders and lists. `fields` are update-body
    fields (title, meeting_start, meeting_duration, invitees as a list of userids…)."""
    number = next(_numbers)
    body = {
        "title": f"Meeting {number}",
        "meeting_start": local_unix(),
        "meeting_duration": 3600,
        "description": "",
        "location": "",
        "cal_id": "",
        "invitees": ["lisi", "wangwu"],
        **fields,
    }
    body["invitees"] = {"userid": list(body["invitees"])}
    settings = dict(settings or {})
    for name in payloads.SETTINGS_LISTS:
        if name in settings:
            settings[name] = {"userid": list(settings[name])}
    body["settings"] = settings
    body["reminders"] = dict(reminders or {})
    meeting = Meeting(
        meetingid=meetingid or f"hy{number:06d}",
        admin_userid=admin_userid,
        status=status,
    )
    payloads.apply_body(meeting, body)
    return Meeting.objects.select_related("settings", "reminders").get(pk=meeting.pk)


def form_data(meeting, **changes):
    """What the edit form posts for `meeting` untouched, as the browser sends it, with
    `changes` applied (field names as posted: "settings-password"; a list for several values,
    None to leave a field out, as an unticked checkbox is)."""
    data = saved_data(meeting)
    data.setlist("rendered", sorted(CONDITIONAL))
    for name, value in changes.items():
        data.pop(name, None)
        if isinstance(value, list | tuple):
            data.setlist(name, [str(item) for item in value])
        elif value is not None:
            data[name] = str(value)
    return data


def as_post(data):
    """A QueryDict as the dict of lists the test client posts."""
    return {name: data.getlist(name) for name in data} if isinstance(data, QueryDict) else data


@pytest.fixture
def office_client(client, django_user_model):
    """A client logged in as an office administrator: in the 会议管理员 group, not staff."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("office", password="unused-9x")
    user.groups.add(Group.objects.get(name="会议管理员"))
    client.force_login(user)
    return client


def field_html(response, name):
    """The HTML of one field's block on the edit page: its control, notes and messages."""
    page = response.content.decode()
    found = re.search(
        rf'<div class="field[^"]*" id="field-{re.escape(name)}".*?\n</div>', page, re.S
    )
    assert found, f"{name} is not on the page"
    return found.group(0)


def flash(response):
    """The messages the response's request left for the next page."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def confirmed_batch(meetings, change, actor):
    """A batch change of `meetings` (in the list's order), chosen and confirmed by `actor`."""
    the_batch = batch_actions.choose(
        Meeting.objects.filter(pk__in=[m.pk for m in meetings]).order_by("start", "pk"),
        actor=actor,
    )
    batch_actions.set_change(the_batch, change)
    batch_actions.confirm(the_batch, actor=actor)
    the_batch.refresh_from_db()
    return the_batch
