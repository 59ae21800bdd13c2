"""The interface speaks Simplified Chinese by default and English on request, completely."""

from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

with translation.override(None):
    LANGUAGE_NAMES = {str(name) for _code, name in settings.LANGUAGES}
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module")
def catalogue():
    return polib.pofile(str(CATALOGUE))


def test_it_translates_every_message_of_ours(catalogue):
    missing = [e.msgid for e in catalogue if not e.obsolete and not e.translated()]
    assert missing == []


def test_it_ships_a_compiled_catalogue_matching_its_source(catalogue):
    compiled = polib.mofile(str(CATALOGUE.with_suffix(".mo")))
    shipped = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in compiled}
    wanted = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
        for e in catalogue
        if e.translated() and not e.obsolete
    }
    assert {k: v for k, v in wanted.items() if shipped.get(k) != v} == {}


class TextNodes(HTMLParser):
    """The texts a person reads on a page: text nodes and the attributes that are shown."""

    SHOWN_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}

    def __init__(self):
        super().__init__()
        self.texts = set()
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in self.SHOWN_ATTRIBUTES and value:
                self.texts.add(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.add(" ".join(data.split()))


def shown_texts(html):
    parser = TextNodes()
    parser.feed(html)
    return parser.texts


def pages(client):
    """Every page of the product, and the htmx partials of the edit form."""
    from django.urls import reverse

    from meetings.forms import CONDITIONAL, saved_data
    from meetings.models import Status
    from tests.meetings.factories import make_meeting

    meeting = make_meeting(
        title="周会",
        settings={"remind_scope": 4, "ring_users": ["lisi"], "password": "1234"},
        reminders={
            "is_repeat": 1,
            "repeat_type": 1,
            "is_custom_repeat": 1,
            "repeat_interval": 2,
            "repeat_day_of_week": [1],
        },
    )
    started = make_meeting(title="已开始", status=Status.IN_PROGRESS)
    edit = reverse("meetings:edit", args=[meeting.pk])
    yield "list", client.get(reverse("meetings:list"))
    yield "detail", client.get(reverse("meetings:detail", args=[meeting.pk]))
    yield "started", client.get(reverse("meetings:detail", args=[started.pk]))
    yield "edit", client.get(edit)
    data = saved_data(meeting)
    data.setlist("rendered", sorted(CONDITIONAL))
    data["settings-password"] = "12a"
    yield "edit with errors", client.post(edit, data)
    for part in ("basics", "people", "settings", "recurrence", "changes"):
        redraw = data.copy()
        redraw["_render"] = part
        yield f"edit #{part}", client.post(edit, redraw, HTTP_HX_REQUEST="true")
    yield "sync panel", client.get(reverse("meetings:sync_panel", args=[meeting.pk]))
    yield "agenda", client.get(reverse("meetings:agenda"))
    yield "agenda day", client.get(reverse("meetings:agenda"), {"span": "day"})
    yield "needs attention", client.get(reverse("meetings:attention"), HTTP_HX_REQUEST="true")


def administrator(user_model):
    """An office administrator: in the 会议管理员 group, as grant_role makes one."""
    from meetings.actions import account as account_actions

    return account_actions.grant_role(
        user_model.objects.create_user("office", password="unused-9x"), "administrator"
    )


@pytest.mark.django_db
def test_it_shows_no_english_of_ours_on_a_chinese_page(client, django_user_model, catalogue):
    english = {e.msgid for e in catalogue if e.translated() and e.msgstr != e.msgid}
    client.force_login(administrator(django_user_model))
    client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    for name, response in pages(client):
        assert response.status_code == 200, name
        assert response["Content-Language"] == "zh-hans", name
        untranslated = shown_texts(response.content.decode()) & english
        assert untranslated == set(), name


@pytest.mark.django_db
def test_it_shows_no_chinese_of_ours_on_an_english_page(client, django_user_model, catalogue):
    # The language picker names each language in its own tongue, 简体中文 included.
    chinese = {
        e.msgstr
        for e in catalogue
        if e.translated() and e.msgstr != e.msgid and e.msgid not in LANGUAGE_NAMES
    }
    client.force_login(administrator(django_user_model))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for name, response in pages(client):
        assert response.status_code == 200, name
        assert response["Content-Language"] == "en", name
        assert shown_texts(response.content.decode()) & chinese == set(), name
