"""The receivers that turn Django's signals into actions, each of which writes its audit event.

Logins, logouts and failed logins become the matching actions. Role changes are recorded
here, once, whatever the path, since whoever changes who may do what (the admin's user and
group pages, grant_role, a shell) goes through the models: a user created, deleted,
(de)activated, made staff or superuser, their groups or own permissions changed, their
password set by someone; a group's permissions changed, a group created, renamed or deleted.
The actor is whoever the surrounding `audit.acting` block names (the admin wraps every view in
one); "system" otherwise.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save

from . import audit
from .actions import account as account_actions
from .audit import GROUP, GROUP_CREATED, GROUP_DELETED, USER, USER_CREATED, USER_DELETED
from .models import Account

FLAGS = ("is_active", "is_staff", "is_superuser")


def _logged_in(sender, request, user, **kwargs):
    account_actions.record_login(user, source_ip=audit.client_ip(request))


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        account_actions.record_logout(user, source_ip=audit.client_ip(request))


def _login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in `credentials` by stars; only the name
    # tried is kept.
    username = str(
        credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or ""
    )
    account_actions.record_login_failed(username, source_ip=audit.client_ip(request))


def _record(detail, rows):
    if rows:
        account_actions.record_account_change(detail, rows)


def permission_name(permission):
    return f"{permission.content_type.app_label}.{permission.codename}"


def _permission_names(pks):
    return sorted(
        permission_name(p)
        for p in Permission.objects.filter(pk__in=pks).select_related("content_type")
    )


def _rows(field, added=(), removed=()):
    return [{"field": field, "old": "", "new": name} for name in added] + [
        {"field": field, "old": name, "new": ""} for name in removed
    ]


# --- users ----------------------------------------------------------------------------------


def _user_before_save(sender, instance, update_fields=None, raw=False, **kwargs):
    watched = {*FLAGS, "password"}
    if (
        raw
        or instance.pk is None
        or (update_fields is not None and not watched & set(update_fields))
    ):
        instance._audit_before = None
        return
    instance._audit_before = (
        sender.objects.filter(pk=instance.pk).values(*FLAGS, "password").first()
    )


def _user_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    name = instance.get_username()
    if created:
        _record(
            USER_CREATED % {"user": name},
            [{"field": flag, "old": "", "new": getattr(instance, flag)} for flag in FLAGS],
        )
        return
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if not before:
        return
    rows = [
        {"field": flag, "old": before[flag], "new": getattr(instance, flag)}
        for flag in FLAGS
        if before[flag] != getattr(instance, flag)
    ]
    # A password set by someone (set_password leaves the raw value on the instance until the
    # save) or made unusable; not the rehash Django does at log-in under a new hasher.
    was_usable = not before["password"].startswith("!")
    if before["password"] != instance.password and (
        getattr(instance, "_password", None) is not None
        or was_usable != instance.has_usable_password()
    ):
        rows.append({"field": "password", "old": audit.MASK, "new": audit.MASK, "secret": True})
    _record(USER % {"user": name}, rows)


def _user_before_delete(sender, instance, **kwargs):
    rows = [{"field": flag, "old": getattr(instance, flag), "new": ""} for flag in FLAGS]
    rows += _rows("group", removed=instance.groups.values_list("name", flat=True))
    rows += _rows(
        "permission",
        removed=_permission_names(instance.user_permissions.values_list("pk", flat=True)),
    )
    # Written before the row goes, in the same transaction: a delete that fails leaves none.
    _record(USER_DELETED % {"user": instance.get_username()}, rows)


def _user_m2m(field, name_of):
    """Receiver for user.groups / user.user_permissions, from either side."""

    def changed(sender, instance, action, reverse, pk_set, **kwargs):
        User = get_user_model()
        if action not in ("post_add", "post_remove", "pre_clear"):
            return
        if reverse:
            # group.user_set.add(user…) / permission.user_set.remove(…): one event per user.
            users = (
                User.objects.filter(pk__in=pk_set or ())
                if action != "pre_clear"
                else instance.user_set.all()
            )
            names = [name_of(instance)]
            for user in users:
                _record(
                    USER % {"user": user.get_username()},
                    _rows(
                        field,
                        added=names if action == "post_add" else (),
                        removed=names if action != "post_add" else (),
                    ),
                )
            return
        related = getattr(instance, "groups" if field == "group" else "user_permissions")
        model = related.model
        if action == "pre_clear":
            # After the clear the names are gone; the ones being removed are read first.
            objects, action = related.all(), "post_remove"
        else:
            objects = model.objects.filter(pk__in=pk_set or ())
        names = sorted(name_of(obj) for obj in objects)
        _record(
            USER % {"user": instance.get_username()},
            _rows(
                field,
                added=names if action == "post_add" else (),
                removed=names if action == "post_remove" else (),
            ),
        )

    return changed


# --- groups ---------------------------------------------------------------------------------


def _group_before_save(sender, instance, raw=False, **kwargs):
    instance._audit_name = (
        None
        if raw or instance.pk is None
        else sender.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    )


def _group_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        _record(
            GROUP_CREATED % {"group": instance.name},
            [{"field": "name", "old": "", "new": instance.name}],
        )
    elif getattr(instance, "_audit_name", None) not in (None, instance.name):
        _record(
            GROUP % {"group": instance.name},
            [{"field": "name", "old": instance._audit_name, "new": instance.name}],
        )


def _group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if reverse:
        # permission.group_set.add(group…)
        groups = (
            Group.objects.filter(pk__in=pk_set or ())
            if action != "pre_clear"
            else instance.group_set.all()
        )
        names = [permission_name(instance)]
        for group in groups:
            _record(
                GROUP % {"group": group.name},
                _rows(
                    "permission",
                    added=names if action == "post_add" else (),
                    removed=names if action != "post_add" else (),
                ),
            )
        return
    if action == "pre_clear":
        names, action = (
            _permission_names(instance.permissions.values_list("pk", flat=True)),
            "post_remove",
        )
    else:
        names = _permission_names(pk_set or ())
    _record(
        GROUP % {"group": instance.name},
        _rows(
            "permission",
            added=names if action == "post_add" else (),
            removed=names if action == "post_remove" else (),
        ),
    )


def _group_before_delete(sender, instance, **kwargs):
    # Deleting a group takes it from its members without any m2m signal: say who lost it.
    rows = _rows(
        "member",
        removed=instance.user_set.order_by("pk").values_list(
            get_user_model().USERNAME_FIELD, flat=True
        ),
    )
    rows += _rows(
        "permission", removed=_permission_names(instance.permissions.values_list("pk", flat=True))
    )
    rows.insert(0, {"field": "name", "old": instance.name, "new": ""})
    _record(GROUP_DELETED % {"group": instance.name}, rows)


# A person's WeCom userid decides who reads the app's messages about whose changes: each
# change of it is an account change, like a role change.
WECOM_USERID = "wecom_userid"


def _account_before_save(sender, instance, raw=False, **kwargs):
    before = None
    if not raw:
        before = Account.objects.filter(pk=instance.pk).values_list(WECOM_USERID, flat=True).first()
    instance._wecom_userid_before = before or ""
    if not raw and (before or "") != instance.wecom_userid:
        # WeCom's answer was about the old userid.
        instance.wecom_refusal, instance.wecom_refused_at = "", None


def _account_saved(sender, instance, raw=False, **kwargs):
    before = getattr(instance, "_wecom_userid_before", "")
    if raw or before == instance.wecom_userid:
        return
    account_actions.record_account_change(
        USER % {"user": instance.user.get_username()},
        [{"field": WECOM_USERID, "old": before, "new": instance.wecom_userid}],
    )


def connect():
    User = get_user_model()
    uid = "meetings.signals."
    user_logged_in.connect(_logged_in, dispatch_uid=uid + "logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid=uid + "logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid=uid + "login_failed")
    pre_save.connect(_user_before_save, sender=User, dispatch_uid=uid + "user_before_save")
    post_save.connect(_user_saved, sender=User, dispatch_uid=uid + "user_saved")
    pre_delete.connect(_user_before_delete, sender=User, dispatch_uid=uid + "user_delete")
    m2m_changed.connect(
        _user_m2m("group", lambda group: group.name),
        sender=User.groups.through,
        dispatch_uid=uid + "user_groups",
        weak=False,
    )
    m2m_changed.connect(
        _user_m2m("permission", permission_name),
        sender=User.user_permissions.through,
        dispatch_uid=uid + "user_permissions",
        weak=False,
    )
    pre_save.connect(_group_before_save, sender=Group, dispatch_uid=uid + "group_before_save")
    post_save.connect(_group_saved, sender=Group, dispatch_uid=uid + "group_saved")
    m2m_changed.connect(
        _group_permissions_changed,
        sender=Group.permissions.through,
        dispatch_uid=uid + "group_permissions",
    )
    pre_delete.connect(_group_before_delete, sender=Group, dispatch_uid=uid + "group_delete")
    pre_save.connect(_account_before_save, sender=Account, dispatch_uid=uid + "account_before_save")
    post_save.connect(_account_saved, sender=Account, dispatch_uid=uid + "account_saved")
