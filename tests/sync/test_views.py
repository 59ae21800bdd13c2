"""The sync state as administrators see it: badges that poll while a sync is under way, the
detail page's tries, Retry and the conflict choices."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, Participant, Person, Status, SyncAttempt, SyncState
from wecom.errors import WeComError

from .conftest import import_new

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _no_runs(monkeypatch):
    """The pages are under test here, not the sync: a Retry or a settled conflict must not
    queue a run that a worker left running by an earlier test would carry out while this
    test's data is being flushed."""
    monkeypatch.setattr("meetings.tasks.enqueue_after_save", lambda pk: None)
    monkeypatch.setattr("meetings.tasks.enqueue", lambda pk, countdown=None: None)


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def meeting(sandbox):
    return import_new(sandbox, title="周会")


def set_state(meeting, **fields):
    Meeting.objects.filter(pk=meeting.pk).update(**fields)
    return Meeting.objects.get(pk=meeting.pk)


def status_of(client, meeting):
    return client.get(reverse("meetings:sync_status", args=[meeting.pk])).content.decode()


def test_it_polls_the_badge_while_the_sync_is_under_way(admin_client, meeting, english):
    url = reverse("meetings:sync_status", args=[meeting.pk])
    for state in (SyncState.PENDING, SyncState.SYNCING, SyncState.RETRYING):
        set_state(meeting, sync_state=state, version=F("synced_version") + 1)
        html = status_of(admin_client, meeting)
        assert f'hx-get="{url}"' in html
        assert 'hx-trigger="every 2s"' in html
        assert 'hx-swap="outerHTML"' in html


@pytest.mark.parametrize("state", [SyncState.SYNCED, SyncState.FAILED, SyncState.CONFLICT])
def test_it_stops_polling_once_the_sync_is_settled(admin_client, meeting, english, state):
    set_state(meeting, sync_state=state)
    html = status_of(admin_client, meeting)
    assert "hx-trigger" not in html
    assert str(SyncState(state).label) in html


@pytest.mark.parametrize(
    ("state", "words"),
    [
        (SyncState.SYNCED, "已同步"),
        (SyncState.PENDING, "等待同步"),
        (SyncState.SYNCING, "同步中"),
        (SyncState.RETRYING, "重试中"),
        (SyncState.FAILED, "失败"),
        (SyncState.CONFLICT, "冲突"),
    ],
)
def test_it_names_each_state_in_chinese_by_default(admin_client, meeting, state, words):
    set_state(meeting, sync_state=state)
    assert words in status_of(admin_client, meeting)


def test_it_says_when_the_next_try_comes_in_local_time(admin_client, meeting, english):
    at = timezone.now() + timedelta(minutes=3)
    set_state(meeting, sync_state=SyncState.RETRYING, next_attempt_at=at)
    html = status_of(admin_client, meeting)
    assert timezone.localtime(at).strftime("%H:%M:%S") in html
    assert "next try at" in html


def test_it_shows_why_a_sync_failed(admin_client, meeting, english):
    set_state(
        meeting,
        sync_state=SyncState.FAILED,
        sync_error="Every host must be an invitee.",
        sync_error_field="settings.hosts",
        sync_errcode=400029,
    )
    html = status_of(admin_client, meeting)
    assert "Every host must be an invitee." in html

    panel = admin_client.get(
        reverse("meetings:sync_panel", args=[meeting.pk]), **HTMX
    ).content.decode()
    assert "Every host must be an invitee." in panel
    assert "Hosts" in panel
    assert reverse("meetings:sync_retry", args=[meeting.pk]) in panel
    assert "csrfmiddlewaretoken" in panel


def test_it_shows_the_badge_of_every_meeting_in_the_list(admin_client, meeting, english):
    set_state(meeting, sync_state=SyncState.PENDING, version=F("synced_version") + 1)
    html = admin_client.get(reverse("meetings:list")).content.decode()
    assert f'id="sync-badge-{meeting.pk}"' in html
    assert reverse("meetings:sync_status", args=[meeting.pk]) in html


def test_the_navigation_counts_the_meetings_waiting_for_a_person(admin_client, meeting, english):
    url = reverse("meetings:attention")
    assert '<span class="count">0</span>' in admin_client.get(url, **HTMX).content.decode()
    set_state(meeting, sync_state=SyncState.FAILED)
    assert '<span class="count">1</span>' in admin_client.get(url, **HTMX).content.decode()


def test_a_meeting_no_longer_scheduled_waits_for_nobody_and_offers_no_retry(
    admin_client, meeting, english
):
    # An edit WeCom could not take: the meeting was cancelled there meanwhile.
    set_state(meeting, sync_state=SyncState.FAILED, status=Status.CANCELLED)

    count = admin_client.get(reverse("meetings:attention"), **HTMX).content.decode()
    assert '<span class="count">0</span>' in count
    listed = admin_client.get(reverse("meetings:list"), {"sync": "attention"}).content.decode()
    assert "周会" not in listed
    panel = admin_client.get(
        reverse("meetings:sync_panel", args=[meeting.pk]), **HTMX
    ).content.decode()
    assert reverse("meetings:sync_retry", args=[meeting.pk]) not in panel


def test_a_member_wecom_does_not_know_is_looked_for_among_those_nameless_here(
    admin_client, meeting, english
):
    Person.objects.update_or_create(userid="lisi", defaults={"name": "李四", "source": "csv"})
    Person.objects.update_or_create(userid="ghost", defaults={"name": "", "source": "meeting"})
    Participant.objects.get_or_create(
        meeting=meeting, role="invitee", userid="lisi", defaults={"position": 90}
    )
    Participant.objects.create(meeting=meeting, role="invitee", userid="ghost", position=91)
    set_state(meeting, sync_state=SyncState.FAILED, sync_errcode=60111)

    panel = admin_client.get(
        reverse("meetings:sync_panel", args=[meeting.pk]), **HTMX
    ).content.decode()

    hint = panel[panel.index("WeCom does not say who.") :]
    hint = hint[: hint.index("</p>")]
    assert "ghost" in hint and "lisi" not in hint


def test_the_count_opened_as_a_page_shows_the_meetings_it_counts(admin_client, meeting, english):
    set_state(meeting, sync_state=SyncState.CONFLICT)
    response = admin_client.get(reverse("meetings:attention"), follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("meetings:list") + "?sync=attention"
    assert "<html" in html
    assert "周会" in html


def test_it_retries_a_failed_sync_and_polls_again(admin_client, meeting, english):
    set_state(
        meeting,
        sync_state=SyncState.FAILED,
        sync_error="WeCom is busy.",
        version=F("synced_version") + 1,
    )

    response = admin_client.post(reverse("meetings:sync_retry", args=[meeting.pk]), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "The change will be sent to WeCom again." in html
    assert 'hx-swap-oob="true"' in html
    assert 'hx-trigger="every 2s"' in html
    meeting.refresh_from_db()
    assert meeting.sync_state in (SyncState.PENDING, SyncState.SYNCING, SyncState.SYNCED)
    assert meeting.sync_error == ""


def test_it_retries_from_a_plain_form_and_returns_to_the_meeting(admin_client, meeting):
    set_state(meeting, sync_state=SyncState.FAILED, version=F("synced_version") + 1)

    response = admin_client.post(reverse("meetings:sync_retry", args=[meeting.pk]))

    assert response.status_code == 302
    assert response.url == reverse("meetings:detail", args=[meeting.pk])


def test_it_refuses_retry_by_get(admin_client, meeting):
    response = admin_client.get(reverse("meetings:sync_retry", args=[meeting.pk]))
    assert response.status_code == 405


def test_it_offers_a_choice_for_each_conflicting_field(admin_client, meeting, english):
    set_state(
        meeting,
        sync_state=SyncState.CONFLICT,
        version=F("synced_version") + 1,
        conflict={
            "title": {"mine": "我的标题", "wecom": "企业微信的标题"},
            "settings.password": {"mine": "1234", "wecom": "5678"},
        },
    )

    panel = admin_client.get(
        reverse("meetings:sync_panel", args=[meeting.pk]), **HTMX
    ).content.decode()

    assert "我的标题" in panel and "企业微信的标题" in panel
    assert 'value="title"' in panel and 'value="settings.password"' in panel
    assert "Keep mine" in panel and "Take WeCom" in panel
    # The passwords are not written into the page, which still tells them apart.
    assert "1234" not in panel and "5678" not in panel
    assert "set here (the edit page shows it)" in panel and "another, set in WeCom" in panel


def test_a_list_in_conflict_shows_what_each_side_alone_has(admin_client, meeting, english):
    both = [f"user{n:02d}" for n in range(30)]
    set_state(
        meeting,
        sync_state=SyncState.CONFLICT,
        version=F("synced_version") + 1,
        conflict={
            "invitees": {
                "mine": {"userid": [*both, "zhouba"]},
                "wecom": {"userid": [*both, "wujiu"]},
            }
        },
    )

    panel = admin_client.get(
        reverse("meetings:sync_panel", args=[meeting.pk]), **HTMX
    ).content.decode()

    assert "only here:" in panel and "zhouba" in panel
    assert "only in WeCom:" in panel and "wujiu" in panel
    assert panel.count("30 more in both") == 2
    assert "user07" not in panel


def test_it_settles_a_conflict_with_the_administrators_choice(admin_client, meeting, english):
    set_state(
        meeting,
        sync_state=SyncState.CONFLICT,
        version=F("synced_version") + 1,
        conflict={"title": {"mine": "周会", "wecom": "企业微信的标题"}},
    )

    response = admin_client.post(
        reverse("meetings:sync_resolve", args=[meeting.pk]),
        {"field": "title", "choice": "wecom"},
        **HTMX,
    )

    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.title == "企业微信的标题"
    assert meeting.conflict == {}
    assert meeting.sync_state != SyncState.CONFLICT


def test_an_imported_meeting_says_no_change_was_sent_and_when_it_last_synced(
    admin_client, meeting, english
):
    # Imported: read from WeCom, never written to it from here.
    set_state(meeting, synced_at=timezone.now())
    html = admin_client.get(reverse("meetings:sync_panel", args=[meeting.pk])).content.decode()
    assert "No change of this meeting has been sent to WeCom from here yet." in html
    weekday = timezone.localtime().strftime("(%A)")
    assert weekday in html.split("Last synced", 1)[1].split("</dd>", 1)[0]


def test_it_lists_the_calls_made_to_wecom(admin_client, meeting, english):
    SyncAttempt.objects.create(
        meeting=meeting,
        meetingid=meeting.meetingid,
        version=3,
        path="meeting/update",
        started_at=timezone.now(),
        duration_ms=12,
        request={"meetingid": meeting.meetingid},
        errcode=400031,
        errmsg="invalid settings",
        outcome=SyncAttempt.Outcome.FAILED,
    )

    detail = admin_client.get(reverse("meetings:detail", args=[meeting.pk]))
    panel = admin_client.get(reverse("meetings:sync_panel", args=[meeting.pk]))

    assert reverse("meetings:sync_panel", args=[meeting.pk]) in detail.content.decode()
    html = panel.content.decode()
    for text in ("meeting/update", "400031", "Failed", "<td>3</td>"):
        assert text in html
    # WeCom's errcode in the reader's words, its own errmsg kept for a tooltip.
    assert 'title="invalid settings"' in html
    assert str(WeComError("", 400031).message) in html
