"""The two roles as groups. Superusers need no group: they administer users.

会议管理员 (meeting administrators) view and edit meetings in the web UI and are not staff,
so the Django admin turns them away. 审计员 (auditors) are staff (grant_role sets that) and may
only view: meetings, their settings and reminders, audit events and sync attempts."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "会议管理员": ["view_meeting", "edit_meeting"],
    "审计员": [
        "view_meeting",
        "view_meetingsettings",
        "view_reminders",
        "view_auditevent",
        "view_syncattempt",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations ran; the groups need them now.
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="meetings", codename__in=codenames)
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0003_append_only_triggers"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
