"""Failed log-ins are throttled per username at an address by default, per username or per
address when AXES_LOCKOUT says so (django-axes), and each one is in the audit record."""

import pytest
from django.urls import reverse

from meetings.models import AuditEvent

pytestmark = pytest.mark.django_db

LIMIT = 5


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def log_in(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_it_logs_in_with_the_right_password(client, people):
    response = log_in(client, "wang.admin", "correct-horse-9")

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="login")
    assert (event.actor_username, event.source_ip) == ("wang.admin", "10.0.0.1")


def test_it_locks_a_username_out_at_the_address_of_the_failures(client, people):
    for _ in range(LIMIT):
        log_in(client, "wang.admin", "wrong", address="10.0.0.1")

    response = log_in(client, "wang.admin", "correct-horse-9", address="10.0.0.1")

    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_log_has_a_lockout_but_not_every_login(client, people, caplog):
    with caplog.at_level("DEBUG"):
        log_in(client, "wang.admin", "correct-horse-9")
        assert [r for r in caplog.records if r.name.startswith("axes")] == []
        for _ in range(LIMIT):
            log_in(client, "li.audit", "wrong", address="10.0.0.2")

    kept = [r for r in caplog.records if r.name.startswith("axes")]
    assert kept and {r.levelname for r in kept} == {"WARNING"}


def test_one_persons_typos_lock_out_neither_colleagues_nor_other_places(client, people):
    for _ in range(LIMIT):
        log_in(client, "wang.admin", "wrong", address="10.6.6.6")

    # A colleague behind the same office address, and the same person from elsewhere.
    assert log_in(client, "li.audit", "correct-horse-9", address="10.6.6.6").status_code == 302
    assert log_in(client, "wang.admin", "correct-horse-9", address="10.0.0.9").status_code == 302


def test_it_locks_a_username_out_from_anywhere_when_set_so(client, people, settings):
    settings.AXES_LOCKOUT_PARAMETERS = settings.AXES_LOCKOUTS["user_or_address"]
    for attempt in range(LIMIT):
        log_in(client, "wang.admin", "wrong", address=f"10.0.0.{attempt + 1}")

    response = log_in(client, "wang.admin", "correct-horse-9", address="10.9.9.9")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_locks_an_address_out_for_every_username_when_set_so(client, people, settings):
    settings.AXES_LOCKOUT_PARAMETERS = settings.AXES_LOCKOUTS["address"]
    for attempt in range(LIMIT):
        log_in(client, f"guess{attempt}", "wrong", address="10.6.6.6")

    response = log_in(client, "wang.admin", "correct-horse-9", address="10.6.6.6")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_lets_the_user_in_from_elsewhere_while_below_the_limit(client, people):
    for _ in range(LIMIT - 1):
        log_in(client, "wang.admin", "wrong")

    response = log_in(client, "wang.admin", "correct-horse-9", address="10.0.0.2")

    assert response.status_code == 302


def test_it_records_each_failed_log_in_without_the_password(client, people):
    log_in(client, "wang.admin", "Secret-Typo-1")
    log_in(client, "nobody", "Secret-Typo-2")

    failed = AuditEvent.objects.filter(action="login_failed").order_by("pk")
    assert [(e.actor_username, e.outcome, e.source_ip) for e in failed] == [
        ("wang.admin", "failed", "10.0.0.1"),
        ("nobody", "failed", "10.0.0.1"),
    ]
    assert "Secret-Typo" not in repr(list(failed.values()))


def test_it_shows_the_lockout_page_in_chinese_by_default(client, people):
    for _ in range(LIMIT):
        log_in(client, "wang.admin", "wrong")

    response = client.post(
        reverse("login"), {"username": "wang.admin", "password": "wrong"}, REMOTE_ADDR="10.0.0.1"
    )

    assert response.status_code == 429
    assert response["Content-Language"] == "zh-hans"
