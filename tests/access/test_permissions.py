"""Who may open what: anonymous, an administrator, an auditor and a superuser against every
page of the web UI and of the admin."""

import pytest
from django.test import Client
from django.urls import reverse

from meetings.actions import account as account_actions
from meetings.models import AuditEvent, Meeting, SyncAttempt
from tests.meetings.factories import make_meeting

from .conftest import person

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "administrator", "auditor", "superuser")
LOGIN = "login"
ADMIN_LOGIN = "admin login"


@pytest.fixture
def meeting(people):
    meeting = make_meeting(title="周会")
    event = account_actions.record_login(people["administrator"])
    SyncAttempt.objects.create(
        meeting=meeting,
        meetingid=meeting.meetingid,
        version=1,
        path="meeting/get_info",
        started_at=meeting.created_at,
        duration_ms=5,
        outcome=SyncAttempt.Outcome.OK,
        event=event,
    )
    return meeting


def pages(meeting):
    pk = meeting.pk
    event = AuditEvent.objects.first()
    attempt = SyncAttempt.objects.first()
    # (name, method, url, what each role gets)
    web = {"anonymous": LOGIN, "administrator": 200, "auditor": 200, "superuser": 200}
    edit = {"anonymous": LOGIN, "administrator": 200, "auditor": 403, "superuser": 200}
    # A retry of a meeting that is synced is refused with a message: back to its page.
    write = {"anonymous": LOGIN, "administrator": 302, "auditor": 403, "superuser": 302}
    audit = {"anonymous": ADMIN_LOGIN, "administrator": 403, "auditor": 200, "superuser": 200}
    users = {"anonymous": ADMIN_LOGIN, "administrator": 403, "auditor": 403, "superuser": 200}
    return [
        ("list", "get", reverse("meetings:list"), web),
        ("detail", "get", reverse("meetings:detail", args=[pk]), web),
        ("sync panel", "get", reverse("meetings:sync_panel", args=[pk]), web),
        ("sync status", "get", reverse("meetings:sync_status", args=[pk]), web),
        ("edit", "get", reverse("meetings:edit", args=[pk]), edit),
        ("new", "get", reverse("meetings:new"), edit),
        ("cancel", "get", reverse("meetings:cancel", args=[pk]), edit),
        ("import", "get", reverse("meetings:import"), edit),
        ("retry", "post", reverse("meetings:sync_retry", args=[pk]), write),
        ("resolve", "post", reverse("meetings:sync_resolve", args=[pk]), write),
        ("admin index", "get", reverse("admin:index"), audit),
        ("events", "get", reverse("admin:meetings_auditevent_changelist"), audit),
        ("event", "get", reverse("admin:meetings_auditevent_change", args=[event.pk]), audit),
        ("export", "get", reverse("admin:meetings_auditevent_export"), audit),
        ("attempts", "get", reverse("admin:meetings_syncattempt_changelist"), audit),
        (
            "attempt",
            "get",
            reverse("admin:meetings_syncattempt_change", args=[attempt.pk]),
            audit,
        ),
        ("meetings", "get", reverse("admin:meetings_meeting_changelist"), audit),
        ("meeting", "get", reverse("admin:meetings_meeting_change", args=[meeting.pk]), audit),
        ("users", "get", reverse("admin:auth_user_changelist"), users),
        ("groups", "get", reverse("admin:auth_group_changelist"), users),
    ]


def test_it_lets_each_role_open_exactly_its_pages(meeting, client_for):
    wrong = []
    for role in ROLES:
        client = client_for(role)
        for name, method, url, expected in pages(meeting):
            response = getattr(client, method)(url)
            want = expected[role]
            if want == LOGIN:
                ok = response.status_code == 302 and response["Location"].startswith(
                    reverse("login")
                )
            elif want == ADMIN_LOGIN:
                ok = response.status_code == 302 and response["Location"].startswith(
                    (reverse("admin:login"), reverse("login"))
                )
            else:
                ok = response.status_code == want
            if not ok:
                wrong.append((role, name, want, response.status_code))
    assert wrong == []


def test_it_shows_the_edit_button_only_to_those_who_may_edit(meeting, client_for):
    edit_url = reverse("meetings:edit", args=[meeting.pk])
    detail_url = reverse("meetings:detail", args=[meeting.pk])

    assert edit_url in client_for("administrator").get(detail_url).content.decode()
    assert edit_url not in client_for("auditor").get(detail_url).content.decode()


def test_it_shows_new_and_cancel_only_to_those_who_may_edit(meeting, client_for):
    new_url = reverse("meetings:new")
    cancel_url = reverse("meetings:cancel", args=[meeting.pk])
    detail_url = reverse("meetings:detail", args=[meeting.pk])

    for role, shown in (("administrator", True), ("auditor", False)):
        client = client_for(role)
        assert (new_url in client.get(reverse("meetings:list")).content.decode()) is shown
        assert (cancel_url in client.get(detail_url).content.decode()) is shown


def test_it_refuses_an_auditors_new_meeting_and_cancellation(meeting, client_for):
    auditor = client_for("auditor")

    assert auditor.post(reverse("meetings:new"), {"title": "偷建"}).status_code == 403
    assert auditor.post(reverse("meetings:cancel", args=[meeting.pk])).status_code == 403
    meeting.refresh_from_db()
    assert not meeting.cancel_requested
    assert Meeting.objects.count() == 1


def test_it_refuses_an_auditors_edit_and_changes_nothing(meeting, client_for):
    response = client_for("auditor").post(
        reverse("meetings:edit", args=[meeting.pk]), {"title": "偷改"}
    )

    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.title == "周会"


def test_it_answers_a_403_in_the_sites_own_page(meeting, client_for):
    response = client_for("auditor", HTTP_ACCEPT_LANGUAGE="en").get(
        reverse("meetings:edit", args=[meeting.pk])
    )

    assert response.status_code == 403
    assert "Your account may not open this page" in response.content.decode()


def test_it_answers_a_404_in_the_sites_own_page(meeting, client_for):
    client = client_for("administrator", HTTP_ACCEPT_LANGUAGE="en")

    for url in (reverse("meetings:detail", args=[meeting.pk + 1000]), "/no-such-page/"):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 404
        assert "Page not found" in page
        assert "There is no such page or meeting here" in page
        assert f'href="{reverse("meetings:new")}"' in page, "the site's header"


def test_it_answers_an_address_opened_that_only_a_button_posts_to_with_a_page(meeting, client_for):
    client = client_for("administrator", HTTP_ACCEPT_LANGUAGE="zh-hans")

    for url in (reverse("logout"), reverse("meetings:sync_retry", args=[meeting.pk])):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 405
        assert "POST" in response["Allow"]
        assert "这个地址不能直接打开" in page
        assert f'href="{reverse("meetings:new")}"' in page, "the site's header"
    assert "_auth_user_id" in client.session


def test_it_answers_a_500_with_a_page_that_needs_nothing_of_the_request(
    meeting, client_for, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("meetings.presenters.described", broken)
    client = client_for("administrator")
    client.raise_request_exception = False

    response = client.get(reverse("meetings:detail", args=[meeting.pk]))

    page = response.content.decode()
    assert response.status_code == 500
    assert "服务器未能完成此请求" in page and "The server could not complete" in page
    assert "a bug" not in page


def test_it_tells_someone_with_no_role_yet_and_offers_no_page_that_refuses(meeting):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(person("new.hire"))

    response = client.get(reverse("meetings:list"))

    page = response.content.decode()
    assert response.status_code == 403
    assert "Your account has no role here yet" in page
    assert f'href="{reverse("meetings:account")}"' in page
    assert f'<a href="{reverse("meetings:list")}">Meetings</a>' not in page
    assert "Back to the meetings" not in page
    assert client.get(reverse("meetings:account")).status_code == 200
