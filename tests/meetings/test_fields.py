"""The field declarations (meetings.fields) are what the pages, the rules and the database
follow: a declared setting is on the edit page and the detail page, with its label and its
choices, and the database takes the same values."""

import pytest
from django.urls import reverse

from meetings import fields, rules
from meetings.models import MeetingSettings, Reminders
from tests.meetings.factories import make_meeting, office_client

pytestmark = pytest.mark.django_db
__all__ = ["office_client"]

# Every control on: each conditional setting applies.
ALL_ON = {
    "allow_unmute_self": False,
    "mute_all": True,
    "enable_screen_watermark": True,
    "watermark_type": 1,
    "auto_record_type": "cloud",
    "enable_host_key": True,
    "host_key": "123456",
    "hosts": ["lisi"],
    "remind_scope": 4,
    "ring_users": ["wangwu"],
}


@pytest.fixture
def reader(office_client):
    office_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return office_client


def test_the_edit_page_shows_every_declared_field_once_its_controls_allow_it(reader):
    meeting = make_meeting(settings=ALL_ON)
    page = reader.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    for declared in fields.DECLARED:
        if declared.group == "reminders" and declared.when or declared.creating_only:
            continue
        assert page.count(f'id="field-{declared.html_name}"') == 1, declared.path
        assert str(declared.form_label or fields.FIELDS[declared.path].label).lower() in (
            page.lower()
        ), declared.path


def test_the_detail_page_says_each_setting_by_its_declared_label_and_choice(reader):
    meeting = make_meeting(settings=ALL_ON)
    page = reader.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Watermark style" in page
    assert "Multiple rows" in page
    assert "Cloud recording" in page


def test_the_database_takes_the_declared_choices_and_nothing_else():
    models = {"settings": MeetingSettings, "reminders": Reminders}
    for declared in fields.DECLARED:
        if declared.group in models and declared.kind == "choice":
            column = models[declared.group]._meta.get_field(declared.name)
            assert [value for value, _label in column.choices] == list(declared.values)


def test_a_setting_applies_only_with_its_controls():
    assert "watermark_type" not in rules.applicable_settings({})
    assert "watermark_type" in rules.applicable_settings({"enable_screen_watermark": True})
    # A number is not a flag on WeCom's wire.
    assert "watermark_type" not in rules.applicable_settings({"enable_screen_watermark": 1})
    weekly = {"is_repeat": 1, "is_custom_repeat": 1, "repeat_type": 1}
    assert "repeat_day_of_week" in rules.applicable_reminders(weekly)
    # A control that does not apply decides nothing: without a repeat there is no custom one.
    assert "repeat_day_of_week" not in rules.applicable_reminders({**weekly, "is_repeat": 0})
