"""Only meeting administrators change meetings in bulk; a batch not yet confirmed is its
author's alone, a confirmed one every administrator's to follow."""

import pytest
from django.test import Client
from django.urls import reverse

from meetings.actions import batch as batch_actions
from meetings.models import Batch, Meeting
from tests.access.conftest import person
from tests.meetings.factories import make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting():
    return make_meeting(title="周会")


def draft(people, meeting, **change):
    the_batch = batch_actions.choose(
        Meeting.objects.filter(pk=meeting.pk), actor=people["administrator"]
    )
    batch_actions.set_change(
        the_batch, batch_actions.Change(Batch.Kind.SETTING, "settings.enable_enroll", True)
    )
    return the_batch


def pages(the_batch):
    return [
        ("get", reverse("meetings:batches")),
        ("get", reverse("meetings:batch", args=[the_batch.pk])),
        ("get", reverse("meetings:batch_change", args=[the_batch.pk])),
        ("get", reverse("meetings:batch_preview", args=[the_batch.pk])),
        ("get", reverse("meetings:batch_summary", args=[the_batch.pk])),
        ("post", reverse("meetings:batch_confirm", args=[the_batch.pk])),
        ("post", reverse("meetings:batch_new")),
    ]


def test_an_auditor_may_neither_choose_nor_confirm_nor_follow_a_batch(client_for, people, meeting):
    the_batch = draft(people, meeting)
    client = client_for("auditor")
    for method, url in pages(the_batch):
        assert getattr(client, method)(url, {"meeting": [meeting.pk]}).status_code == 403, url
    assert Batch.objects.get(pk=the_batch.pk).state == Batch.State.DRAFT
    assert Batch.objects.count() == 1
    # Nor does the list offer the ticks.
    page = client.get(reverse("meetings:list")).content.decode()
    assert 'name="meeting"' not in page
    assert reverse("meetings:batch_new") not in page


def test_a_stranger_is_sent_to_the_login_page(client_for, people, meeting):
    the_batch = draft(people, meeting)
    client = client_for("anonymous")
    for method, url in pages(the_batch):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_another_administrator_sees_a_batch_once_confirmed_not_before(people, meeting):
    the_batch = draft(people, meeting)
    colleague = Client()
    colleague.force_login(person("zhao.admin", "administrator"))
    preview = reverse("meetings:batch_preview", args=[the_batch.pk])
    assert colleague.get(preview).status_code == 404
    assert colleague.post(reverse("meetings:batch_confirm", args=[the_batch.pk])).status_code == 404

    author = Client()
    author.force_login(people["administrator"])
    page = author.get(reverse("meetings:list")).content.decode()
    assert f'name="meeting" value="{meeting.pk}"' in page
    author.post(reverse("meetings:batch_confirm", args=[the_batch.pk]))
    progress = colleague.get(reverse("meetings:batch", args=[the_batch.pk]))
    assert progress.status_code == 200
    assert progress.context["counts"]["waiting"] == 1
    listed = colleague.get(reverse("meetings:batches"))
    assert [b.pk for b in listed.context["page"].object_list] == [the_batch.pk]


def test_confirming_twice_changes_the_meetings_once(client_for, people, meeting):
    the_batch = draft(people, meeting)
    author = client_for("administrator")
    url = reverse("meetings:batch_confirm", args=[the_batch.pk])
    author.post(url)
    author.post(url)
    assert Meeting.objects.get(pk=meeting.pk).version == meeting.version + 1
    assert the_batch.events.count() == 1
