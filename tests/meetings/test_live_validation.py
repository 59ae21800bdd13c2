"""Right while typing: a field's message appears once the administrator leaves it, changed,
and stays while they fill the others; the banner after a refused save links to each field."""

import re

import pytest
from django.urls import reverse

from tests.meetings.factories import as_post, form_data, make_meeting, office_client

pytestmark = pytest.mark.django_db
__all__ = ["office_client"]

PASSWORD_MESSAGE = "4 to 6 digits"


def url(meeting):
    return reverse("meetings:edit", args=[meeting.pk])


def redraw(client, meeting, part, left, touched="", **changes):
    data = form_data(meeting, _render=part, _left=left, _touched=touched, **changes)
    return client.post(
        url(meeting), as_post(data), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()


def oob_field(html, name):
    found = re.search(
        rf'<div class="field[^"]*" id="field-{re.escape(name)}" hx-swap-oob="true".*?\n</div>',
        html,
        re.S,
    )
    return found.group(0) if found else None


def test_leaving_a_field_shows_its_message_at_once(office_client):
    meeting = make_meeting()
    html = redraw(
        office_client, meeting, "changes", "settings-password", **{"settings-password": "12a"}
    )
    block = oob_field(html, "settings-password")
    assert block is not None and 'class="field has-error"' in block
    assert '<p class="error">' in block
    assert 'id="touched-fields" value="settings-password" hx-swap-oob="true"' in html


def test_leaving_the_start_shows_its_message_though_it_redraws_another_fieldset(office_client):
    meeting = make_meeting()
    # The start's change redraws the recurrence (its preview follows the start).
    html = redraw(
        office_client, meeting, "recurrence", "meeting_start", meeting_start="2020-01-01T10:00"
    )
    block = oob_field(html, "meeting_start")
    assert block is not None and 'class="field has-error"' in block
    assert "The start must be in the future." in block


def test_a_field_left_earlier_keeps_its_message_while_others_are_filled(office_client):
    meeting = make_meeting()
    html = redraw(
        office_client,
        meeting,
        "settings",
        "settings-enable_waiting_room",
        touched="settings-password",
        **{"settings-password": "12a", "settings-enable_waiting_room": "on"},
    )
    block = re.search(
        r'<div class="field[^"]*" id="field-settings-password".*?\n</div>', html, re.S
    ).group(0)
    assert '<p class="error">' in block
    # A field not yet left shows nothing yet.
    html = redraw(
        office_client,
        meeting,
        "settings",
        "settings-enable_waiting_room",
        **{"settings-password": "12a", "settings-enable_waiting_room": "on"},
    )
    block = re.search(
        r'<div class="field[^"]*" id="field-settings-password".*?\n</div>', html, re.S
    ).group(0)
    assert '<p class="error">' not in block


def test_a_corrected_field_loses_its_message(office_client):
    meeting = make_meeting()
    html = redraw(
        office_client,
        meeting,
        "changes",
        "settings-password",
        touched="settings-password",
        **{"settings-password": "1234"},
    )
    block = oob_field(html, "settings-password")
    assert block is not None and "has-error" not in block and '<p class="error">' not in block


@pytest.mark.parametrize(
    ("language", "label"), [("en", "Meeting password"), ("zh-hans", "入会密码")]
)
def test_the_banner_after_a_refused_save_links_to_each_field(office_client, language, label):
    meeting = make_meeting()
    data = form_data(meeting, title="", **{"settings-password": "12a"})
    page = office_client.post(url(meeting), as_post(data), HTTP_ACCEPT_LANGUAGE=language)
    banner = re.search(r'<ul class="error-links">(.*?)</ul>', page.content.decode(), re.S)
    assert banner, "no list of fields in the banner"
    links = re.findall(r'<a href="#field-([^"]+)">([^<]+)</a>', banner.group(1))
    assert [name for name, _ in links] == ["title", "settings-password"]
    assert links[1][1] == label


def test_a_control_claims_no_message_nobody_can_see_and_names_those_shown(office_client):
    blank = office_client.get(reverse("meetings:new"), HTTP_ACCEPT_LANGUAGE="en")
    page = blank.content.decode()
    title = re.search(r'<input type="text" name="title"[^>]*>', page).group(0)
    assert "aria-invalid" not in title
    for ref in re.findall(r'aria-describedby="([^"]*)"', page):
        for target in ref.split():
            assert f'id="{target}"' in page, target

    meeting = make_meeting()
    html = redraw(
        office_client, meeting, "changes", "settings-password", **{"settings-password": "12a"}
    )
    control = re.search(r'<input[^>]*name="settings-password"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in control
    described = re.search(r'aria-describedby="([^"]*)"', control).group(1).split()
    assert "id_settings-password_error" in described
    assert '<div id="id_settings-password_error">' in html
