"""Every way the admin (and a shell) offers to change who may do what leaves an event: who did
it, from where, and what was before and after."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from meetings import audit
from meetings.models import AuditEvent

pytestmark = pytest.mark.django_db
User = get_user_model()
IP = {"REMOTE_ADDR": "10.4.4.4"}


def new_events(since):
    return list(AuditEvent.objects.filter(pk__gt=since, action="role_change").order_by("pk"))


def last_pk():
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def rows_of(events):
    return [row for event in events for row in event.changes]


def change_form(user, **overrides):
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "groups": list(user.groups.values_list("pk", flat=True)),
        "user_permissions": list(user.user_permissions.values_list("pk", flat=True)),
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
    }
    for flag in ("is_active", "is_staff", "is_superuser"):
        if getattr(user, flag):
            data[flag] = "on"
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


@pytest.fixture
def root(client_for):
    return client_for("superuser")


def test_a_user_created_in_the_admin(root):
    since = last_pk()

    response = root.post(
        reverse("admin:auth_user_add"),
        {
            "username": "sun",
            "password1": "Nine-lives-42x",
            "password2": "Nine-lives-42x",
            "usable_password": "true",
        },
        **IP,
    )

    assert response.status_code == 302
    [event] = new_events(since)
    assert (event.actor_username, event.source_ip, event.detail) == (
        "root",
        "10.4.4.4",
        "user sun created",
    )
    assert {"field": "is_active", "old": "", "new": True} in event.changes
    assert {"field": "is_superuser", "old": "", "new": False} in event.changes
    assert "pbkdf2" not in str(event.changes)


def test_a_user_deleted_in_the_admin_with_the_roles_they_had(root, people):
    since = last_pk()
    user = people["auditor"]

    response = root.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"}, **IP)

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    [event] = new_events(since)
    assert (event.actor_username, event.detail) == ("root", "user li.audit deleted")
    assert {"field": "group", "old": "审计员", "new": ""} in event.changes
    assert {"field": "is_staff", "old": True, "new": ""} in event.changes


@pytest.mark.parametrize("flag", ["is_active", "is_staff", "is_superuser"])
def test_a_flag_flipped_in_the_admin(root, people, flag):
    user = people["administrator"]
    before = getattr(user, flag)
    since = last_pk()

    response = root.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        change_form(user, **{flag: None if before else "on"}),
        **IP,
    )

    assert response.status_code == 302
    [event] = new_events(since)
    assert event.changes == [{"field": flag, "old": before, "new": not before}]
    assert (event.actor_username, event.detail) == ("root", "user wang.admin")


def test_a_users_own_permissions_changed_in_the_admin(root, people):
    user = people["administrator"]
    permission = Permission.objects.get(codename="view_auditevent")
    since = last_pk()

    root.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        change_form(user, user_permissions=[permission.pk]),
        **IP,
    )

    assert rows_of(new_events(since)) == [
        {"field": "permission", "old": "", "new": "meetings.view_auditevent"}
    ]


def test_a_password_set_by_an_administrator_is_recorded_but_never_shown(root, people):
    user = people["administrator"]
    since = last_pk()

    response = root.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {
            "password1": "Brand-new-77q",
            "password2": "Brand-new-77q",
            "usable_password": "true",
        },
        **IP,
    )

    assert response.status_code == 302
    [event] = new_events(since)
    assert (event.actor_username, event.detail) == ("root", "user wang.admin")
    assert event.changes == [
        {"field": "password", "old": audit.MASK, "new": audit.MASK, "secret": True}
    ]
    user.refresh_from_db()
    assert user.password[:20] not in str(event.changes)


def test_a_group_created_and_its_permissions_changed_in_the_admin(root):
    view, edit = (Permission.objects.get(codename=c) for c in ("view_meeting", "edit_meeting"))
    since = last_pk()

    root.post(reverse("admin:auth_group_add"), {"name": "值班", "permissions": [view.pk]}, **IP)
    group = Group.objects.get(name="值班")
    root.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "值班", "permissions": [edit.pk]},
        **IP,
    )

    events = new_events(since)
    assert [e.detail for e in events][:2] == ["group 值班 created", "group 值班"]
    rows = rows_of(events)
    assert {"field": "permission", "old": "", "new": "meetings.view_meeting"} in rows
    assert {"field": "permission", "old": "meetings.view_meeting", "new": ""} in rows
    assert {"field": "permission", "old": "", "new": "meetings.edit_meeting"} in rows
    assert {e.actor_username for e in events} == {"root"}


def test_the_permissions_of_a_role_group_changed_in_the_admin(root):
    group = Group.objects.get(name="审计员")
    kept = list(group.permissions.values_list("pk", flat=True))
    extra = Permission.objects.get(codename="edit_meeting")
    since = last_pk()

    root.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "审计员", "permissions": [*kept, extra.pk]},
        **IP,
    )

    [event] = new_events(since)
    assert event.changes == [{"field": "permission", "old": "", "new": "meetings.edit_meeting"}]
    assert (event.detail, event.actor_username) == ("group 审计员", "root")


def test_a_group_deleted_in_the_admin_names_who_lost_it(root, people):
    group = Group.objects.get(name="会议管理员")
    since = last_pk()

    response = root.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"}, **IP)

    assert response.status_code == 302
    [event] = new_events(since)
    assert (event.detail, event.actor_username) == ("group 会议管理员 deleted", "root")
    assert {"field": "member", "old": "wang.admin", "new": ""} in event.changes
    assert {"field": "permission", "old": "meetings.edit_meeting", "new": ""} in event.changes


def test_a_group_renamed_in_the_admin(root):
    group = Group.objects.get(name="审计员")
    since = last_pk()

    root.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {
            "name": "审计",
            "permissions": list(group.permissions.values_list("pk", flat=True)),
        },
        **IP,
    )

    assert rows_of(new_events(since)) == [{"field": "name", "old": "审计员", "new": "审计"}]


def test_changes_made_from_the_other_side_or_a_shell_are_recorded_too(people):
    user = people["administrator"]
    group = Group.objects.get(name="审计员")
    since = last_pk()

    group.user_set.add(user)
    user.groups.clear()
    Permission.objects.get(codename="edit_meeting").group_set.add(group)
    User.objects.get(username="root").delete()

    events = new_events(since)
    assert [(e.detail, e.actor_username) for e in events] == [
        ("user wang.admin", "system"),
        ("user wang.admin", "system"),
        ("group 审计员", "system"),
        ("user root deleted", "system"),
    ]
    assert events[1].changes == [
        {"field": "group", "old": "会议管理员", "new": ""},
        {"field": "group", "old": "审计员", "new": ""},
    ]


def test_a_log_in_is_no_role_change(client, people):
    since = last_pk()

    client.post(reverse("login"), {"username": "li.audit", "password": "correct-horse-9"})

    assert new_events(since) == []
    assert AuditEvent.objects.filter(pk__gt=since, action="login").count() == 1
