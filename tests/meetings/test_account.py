"""A person's account: the WeCom userid the app's messages go to, set by an operator or a
superuser, recorded, and shown to its owner."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from meetings.actions import account as account_actions
from meetings.models import Account, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang(db):
    user = get_user_model().objects.create_user("wang", password="correct-horse-9")
    account_actions.grant_role(user, "administrator")
    return user


def test_it_shows_the_owner_their_wecom_userid(client, wang):
    call_command("grant_role", "wang", "administrator", "--wecom-userid", "lisi")
    client.force_login(wang)

    page = client.get(reverse("meetings:account")).content.decode()

    assert "我的账户" in page
    assert "<code>lisi</code>" in page
    assert "会议管理员" in page


def test_it_says_what_is_missing_without_a_userid(client, wang):
    client.force_login(wang)

    page = client.get(reverse("meetings:account"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Without a WeCom userid you get no WeCom messages" in page


def test_its_page_is_linked_from_every_page(client, wang):
    client.force_login(wang)

    page = client.get(reverse("meetings:list")).content.decode()

    assert f'href="{reverse("meetings:account")}"' in page


def test_it_records_who_changed_the_userid(wang):
    call_command("grant_role", "wang", "administrator", "--wecom-userid", "lisi")
    call_command("grant_role", "wang", "administrator", "--wecom-userid", "wangwu")

    rows = [
        e.changes
        for e in AuditEvent.objects.filter(action="role_change").order_by("pk")
        if e.changes and e.changes[0]["field"] == "wecom_userid"
    ]
    assert rows == [
        [{"field": "wecom_userid", "old": "", "new": "lisi"}],
        [{"field": "wecom_userid", "old": "lisi", "new": "wangwu"}],
    ]


def test_it_refuses_what_is_no_userid(wang):
    with pytest.raises(CommandError, match="64"):
        call_command("grant_role", "wang", "administrator", "--wecom-userid", "王 五")

    assert not Account.objects.exclude(wecom_userid="").exists()


def test_a_superuser_sets_it_on_the_users_admin_page(admin_client, admin_user, wang):
    url = reverse("admin:auth_user_change", args=[wang.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="wecom_userid"' in page

    response = admin_client.post(
        url,
        {
            "username": "wang",
            "is_active": "on",
            "groups": [g.pk for g in wang.groups.all()],
            "date_joined_0": "2026-11-30",
            "date_joined_1": "08:00:00",
            "wecom_userid": "lisi",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Account.objects.get(user=wang).wecom_userid == "lisi"
    event = AuditEvent.objects.filter(action="role_change").latest("pk")
    assert event.actor_username == admin_user.get_username()
    assert event.changes == [{"field": "wecom_userid", "old": "", "new": "lisi"}]


def test_the_users_admin_page_refuses_what_is_no_userid(admin_client, wang):
    response = admin_client.post(
        reverse("admin:auth_user_change", args=[wang.pk]),
        {
            "username": "wang",
            "is_active": "on",
            "date_joined_0": "2026-11-30",
            "date_joined_1": "08:00:00",
            "wecom_userid": "王 五",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "A WeCom userid is 1 to 64 letters" in response.content.decode()
    assert not Account.objects.filter(user=wang).exists()
