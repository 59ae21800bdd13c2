"""What a request's user may do: Django's model backend, with the user's own rights and
those of their groups read in one written-out query instead of two built by the ORM. Every
page checks a right (`views.can_view`, `can_edit`), so every request of an administrator
pays for this read, and building the ORM's two queries cost more than the database took
to answer them."""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection


@cache
def _rights_query():
    """The query of a user's rights (user id twice), named from the models' own tables."""
    user = get_user_model()
    table = {
        "permission": Permission._meta.db_table,
        "content_type": ContentType._meta.db_table,
        "own": user.user_permissions.through._meta.db_table,
        "member": user.groups.through._meta.db_table,
        "granted": Group.permissions.through._meta.db_table,
    }
    quoted = {name: connection.ops.quote_name(value) for name, value in table.items()}
    return (
        f"SELECT t.app_label, p.codename FROM {quoted['permission']} p "  # noqa: S608
        f"JOIN {quoted['content_type']} t ON t.id = p.content_type_id "
        f"WHERE p.id IN (SELECT permission_id FROM {quoted['own']} WHERE user_id = %s "
        f"UNION SELECT g.permission_id FROM {quoted['granted']} g "
        f"JOIN {quoted['member']} m ON m.group_id = g.group_id WHERE m.user_id = %s)"
    )


class RightsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser or hasattr(user_obj, "_perm_cache"):
            return super().get_all_permissions(user_obj, obj)
        with connection.cursor() as cursor:
            cursor.execute(_rights_query(), [user_obj.pk, user_obj.pk])
            rows = cursor.fetchall()
        # Kept where the model backend keeps it, for the rest of the request.
        user_obj._perm_cache = {f"{app}.{name}" for app, name in rows}
        return user_obj._perm_cache
