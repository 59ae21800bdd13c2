"""Roles: the groups the migration made, and grant_role."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from meetings.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_it_gives_each_group_only_its_permissions():
    def codenames(name):
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    assert codenames("会议管理员") == {"view_meeting", "edit_meeting"}
    assert codenames("审计员") == {
        "view_meeting",
        "view_meetingsettings",
        "view_reminders",
        "view_auditevent",
        "view_syncattempt",
    }


def test_it_grants_the_auditor_role_from_the_command_and_records_it():
    user = get_user_model().objects.create_user("zhao", password="x-unused-1")

    call_command("grant_role", "zhao", "auditor")

    user.refresh_from_db()
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["审计员"]
    rows = [row for e in AuditEvent.objects.filter(action="role_change") for row in e.changes]
    assert {"field": "group", "old": "", "new": "审计员"} in rows
    assert {"field": "is_staff", "old": False, "new": True} in rows
    assert {e.actor_username for e in AuditEvent.objects.all()} == {"system"}


def test_it_takes_a_role_away_with_remove():
    user = get_user_model().objects.create_user("qian", password="x-unused-1")
    call_command("grant_role", "qian", "administrator")

    call_command("grant_role", "qian", "administrator", "--remove")

    assert not user.groups.exists()


def test_it_names_an_unknown_user():
    with pytest.raises(CommandError, match="nobody"):
        call_command("grant_role", "nobody", "auditor")


def test_a_users_rights_come_from_their_groups_and_their_own_in_one_query(
    django_assert_num_queries,
):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("wangwu")
    call_command("grant_role", "wangwu", "auditor")
    user.user_permissions.add(Permission.objects.get(codename="edit_meeting"))
    user = get_user_model().objects.get(pk=user.pk)

    with django_assert_num_queries(1):
        rights = user.get_all_permissions()
        assert user.has_perm("meetings.view_meeting")

    assert "meetings.edit_meeting" in rights
    assert "meetings.view_auditevent" in rights
    assert "meetings.change_meeting" not in rights
    user.is_active = False
    assert not user.has_perm("meetings.view_meeting")
