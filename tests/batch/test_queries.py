"""A batch of 1,000 meetings costs twenty pages, each page the same few queries: the preview,
the confirmation and the progress read and write a page of meetings in bulk, so their query
counts do not grow with the meetings of a page."""

import re

import pytest
from django.urls import reverse

from meetings.actions import batch as batch_actions
from meetings.models import Batch, Meeting
from tests.meetings.factories import local_unix, make_meeting

pytestmark = pytest.mark.django_db

# Queries of one page, whatever its size, as measured on SQLite (preview 10 to 12, confirming
# one page 16 and each further page 9, progress 10), with room for PostgreSQL's chain lock.
PREVIEW_QUERIES = 12
CONFIRM_PAGE_QUERIES = 18
EXTRA_PAGE_QUERIES = 11
PROGRESS_QUERIES = 12


def meetings(count, **fields):
    return [
        make_meeting(
            title=f"例会 {n}",
            meeting_start=local_unix(3, hour=9 + n % 8),
            invitees=["lisi", "wangwu", f"p{n}"],
            settings={"hosts": ["lisi"]},
            **fields,
        )
        for n in range(count)
    ]


def chosen(client, count, **change):
    made = meetings(count)
    client.post(reverse("meetings:batch_new"), {"meeting": [m.pk for m in made]})
    the_batch = Batch.objects.latest("pk")
    client.post(reverse("meetings:batch_change", args=[the_batch.pk]), change)
    the_batch.refresh_from_db()
    assert the_batch.kind, "the change was not saved"
    return the_batch


CHANGES = [
    {"kind": "setting", "setting": "allow_unmute_self=0"},
    {"kind": "add_person", "role": "invitee", "person": "zhaoliu"},
    {"kind": "remove_person", "role": "host", "person": "lisi"},
    {"kind": "cancel"},
]


@pytest.mark.parametrize("change", CHANGES, ids=[c["kind"] for c in CHANGES])
@pytest.mark.parametrize("size", [5, batch_actions.PAGE_SIZE])
def test_the_preview_of_a_page_costs_the_same_queries_for_5_and_50_meetings(
    office_client, django_assert_max_num_queries, change, size
):
    the_batch = chosen(office_client, size, **change)
    with django_assert_max_num_queries(PREVIEW_QUERIES):
        response = office_client.get(reverse("meetings:batch_preview", args=[the_batch.pk]))
    assert len(response.context["rows"]) == size
    assert {row.state for row in response.context["rows"]} == {batch_actions.CHANGE}


@pytest.mark.parametrize("change", CHANGES, ids=[c["kind"] for c in CHANGES])
@pytest.mark.parametrize("size", [5, batch_actions.PAGE_SIZE])
def test_confirming_a_page_costs_the_same_queries_for_5_and_50_meetings(
    office_client, django_assert_max_num_queries, change, size
):
    the_batch = chosen(office_client, size, **change)
    with django_assert_max_num_queries(CONFIRM_PAGE_QUERIES):
        office_client.post(reverse("meetings:batch_confirm", args=[the_batch.pk]))
    the_batch.refresh_from_db()
    assert the_batch.applied == size
    assert the_batch.events.count() == size


def test_confirming_several_pages_costs_one_page_of_queries_per_page(
    office_client, django_assert_max_num_queries
):
    size = 3 * batch_actions.PAGE_SIZE
    the_batch = chosen(office_client, size, kind="setting", setting="enable_waiting_room=1")
    with django_assert_max_num_queries(CONFIRM_PAGE_QUERIES + 2 * EXTRA_PAGE_QUERIES):
        office_client.post(reverse("meetings:batch_confirm", args=[the_batch.pk]))
    assert Meeting.objects.filter(settings__enable_waiting_room=True).count() == size


@pytest.mark.parametrize("size", [5, 2 * batch_actions.PAGE_SIZE])
def test_the_progress_costs_the_same_queries_for_5_and_100_meetings(
    office_client, django_assert_max_num_queries, size
):
    the_batch = chosen(office_client, size, kind="setting", setting="enable_enroll=1")
    office_client.post(reverse("meetings:batch_confirm", args=[the_batch.pk]))
    with django_assert_max_num_queries(PROGRESS_QUERIES):
        response = office_client.get(reverse("meetings:batch", args=[the_batch.pk]))
    assert response.context["counts"]["waiting"] == size
    with django_assert_max_num_queries(PROGRESS_QUERIES):
        office_client.get(reverse("meetings:batches"))


def test_the_totals_are_judged_once_while_the_meetings_stay_as_they_were(
    office_client, monkeypatch
):
    the_batch = chosen(office_client, 2 * batch_actions.PAGE_SIZE, kind="cancel")
    judged = []
    summary = batch_actions.summary
    monkeypatch.setattr(batch_actions, "summary", lambda b: judged.append(b) or summary(b))
    url = reverse("meetings:batch_summary", args=[the_batch.pk])
    for _page in range(3):
        office_client.get(url)
    assert len(judged) == 1
    Meeting.objects.filter(pk=the_batch.meetings[0][0]).update(status=3)
    shown = office_client.get(url).content.decode()
    assert re.search(r'data-count="refused">.*</span> 1</li>', shown)
    assert len(judged) == 2
