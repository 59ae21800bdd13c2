"""The widgets written in Python must read exactly as Django's own templates write them."""

import pytest
from django.forms.renderers import DjangoTemplates
from django.test.html import parse_html

from meetings.forms import MeetingEditor, MeetingFilterForm, new_meeting
from meetings.models import Calendar
from tests.meetings.factories import form_data, make_meeting

pytestmark = pytest.mark.django_db

TEMPLATES = DjangoTemplates()


def both_ways(form, render):
    """What `render(form)` writes with the Python widgets, then with Django's templates."""
    ours = render(form)
    form.renderer = TEMPLATES
    theirs = render(form)
    return ours, theirs


def every_control(form):
    parts = []
    for bound in form:
        parts.append(str(bound))
        parts.append(bound.label_tag())
        if bound.widget_type in ("checkboxselectmultiple", "radioselect"):
            parts += [choice.tag() for choice in bound]
    return "".join(parts)


def test_every_control_of_the_edit_page_reads_as_djangos_templates_write_it():
    Calendar.objects.create(cal_id="cal<1>", summary='Team "A" & co')
    meeting = make_meeting(
        title='<b>"Q&A"</b>', invitees=["lisi", "wangwu"], description="a\n<i>b</i>"
    )
    data = form_data(
        meeting,
        **{"reminders-is_repeat": "on", "reminders-repeat_day_of_week": ["1", "3"]},
        cal_id="cal<1>",
    )
    editor = MeetingEditor(meeting, data, calendars=Calendar.objects.all())
    creating = MeetingEditor(new_meeting(), calendars=Calendar.objects.all())
    forms = [*editor.forms.values(), creating.main, MeetingFilterForm({"q": "<x>"})]
    for form in forms:
        ours, theirs = both_ways(form, every_control)
        assert "<" in ours
        assert parse_html(ours) == parse_html(theirs)
