"""What a request's user may do: Django's model backend, with the user's own rights and
those of their groups read in one query instead of two. Every page checks a right
(`views.can_view`, `can_edit`), so every request of an administrator pays for this read."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RightsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser or hasattr(user_obj, "_perm_cache"):
            return super().get_all_permissions(user_obj, obj)
        # Unordered: a UNION takes no ORDER BY in its parts, and a set needs none.
        rights = Permission.objects.order_by().values_list("content_type__app_label", "codename")
        own = rights.filter(user=user_obj)
        through_groups = rights.filter(group__user=user_obj)
        # Kept where the model backend keeps it, for the rest of the request.
        user_obj._perm_cache = {f"{app}.{name}" for app, name in own.union(through_groups)}
        return user_obj._perm_cache
