"""The receivers that turn Django's signals into actions: logins, logouts, failed logins and
role (group) changes each become the matching action, which writes its audit event; and the
SQLite function the audit record's triggers ask. Connected once, from the app's ready()."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.backends.signals import connection_created
from django.db.models.signals import m2m_changed

from . import actions, audit


def _logged_in(sender, request, user, **kwargs):
    actions.record_login(user, source_ip=audit.client_ip(request))


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        actions.record_logout(user, source_ip=audit.client_ip(request))


def _login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in `credentials` by stars; only the name
    # tried is kept.
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username")
                   or "")
    actions.record_login_failed(username, source_ip=audit.client_ip(request))


def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    from django.contrib.auth.models import Group

    if action not in ("post_add", "post_remove", "pre_clear") or reverse:
        return
    if action == "pre_clear":
        # After the clear the names are gone; the groups being removed are read first.
        names = list(instance.groups.values_list("name", flat=True))
        action = "post_remove"
    else:
        names = list(Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True))
    if names:
        actions.record_role_change(
            instance, added=names if action == "post_add" else (),
            removed=names if action == "post_remove" else (),
        )


def connect():
    user_logged_in.connect(_logged_in, dispatch_uid="meetings.signals.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="meetings.signals.logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid="meetings.signals.login_failed")
    m2m_changed.connect(
        _groups_changed, sender=get_user_model().groups.through,
        dispatch_uid="meetings.signals.groups_changed",
    )
    connection_created.connect(
        audit.register_sqlite_functions, dispatch_uid="meetings.signals.sqlite"
    )
