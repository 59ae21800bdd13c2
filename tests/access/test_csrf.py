"""Every change is a POST that needs the CSRF token: without it the change is refused."""

import pytest
from django.urls import reverse

from meetings.models import AuditEvent
from tests.meetings.factories import form_data, make_meeting

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["meetings:edit", "meetings:sync_retry", "meetings:sync_resolve"])
def test_it_refuses_a_change_posted_without_the_csrf_token(name, client_for):
    meeting = make_meeting(title="周会")
    client = client_for("administrator", enforce_csrf_checks=True)

    response = client.post(reverse(name, args=[meeting.pk]), form_data(meeting, title="被改"))

    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.title == "周会"
    assert meeting.version == 1
    assert not AuditEvent.objects.filter(action__in=["edit", "retry", "resolve_conflict"])


def test_it_says_in_the_sites_words_that_the_page_expired(client_for):
    meeting = make_meeting(title="周会")
    client = client_for("administrator", enforce_csrf_checks=True)

    response = client.post(
        reverse("meetings:edit", args=[meeting.pk]), form_data(meeting, title="被改")
    )

    page = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in page
    assert "未保存任何内容" in page
    # The site's own page, not Django's technical one.
    assert "DEBUG" not in page
    assert reverse("meetings:list") in page


def test_it_refuses_a_log_in_posted_without_the_csrf_token(people, client_for):
    client = client_for("anonymous", enforce_csrf_checks=True)

    response = client.post(
        reverse("login"), {"username": "wang.admin", "password": "correct-horse-9"}
    )

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_it_accepts_the_change_with_the_token_from_the_page(client_for):
    meeting = make_meeting(title="周会")
    client = client_for("administrator", enforce_csrf_checks=True)
    client.get(reverse("meetings:edit", args=[meeting.pk]))
    data = form_data(meeting, title="改好了")
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value

    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data)

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "改好了"


def test_it_only_logs_out_on_a_post(client_for):
    client = client_for("administrator")

    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
