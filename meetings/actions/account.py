"""Accounts: who came in, who failed to, who may do what, and where WeCom reaches them.

Each writes one audit event; meetings.signals turns Django's log-in signals and every change
of a user's flags, groups or WeCom userid into these, so the record is complete whatever path
made it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import audit
from ..models import Account, AuditEvent
from .errors import ActionError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from . import Actor

Action = AuditEvent.Action


@transaction.atomic
def record_login(user: Actor, *, source_ip: str | None = None) -> AuditEvent:
    return audit.record(Action.LOGIN, actor=user, source_ip=source_ip)


@transaction.atomic
def record_logout(user: Actor, *, source_ip: str | None = None) -> AuditEvent:
    return audit.record(Action.LOGOUT, actor=user, source_ip=source_ip)


@transaction.atomic
def record_login_failed(username: str | None, *, source_ip: str | None = None) -> AuditEvent:
    """A refused log-in: the name that was tried (which may belong to nobody), never the
    password."""
    return audit.record(
        Action.LOGIN_FAILED,
        username=username or "?",
        source_ip=source_ip,
        outcome=AuditEvent.Outcome.FAILED,
    )


@transaction.atomic
def record_account_change(detail: str, rows: list[dict[str, Any]]) -> AuditEvent:
    """Who may do what changed (see meetings.signals, which calls this for every path): the
    rows say what, before and after; the actor is whoever the surrounding `audit.acting`
    block names."""
    actor, source_ip = audit.current_actor()
    return audit.record(
        Action.ROLE_CHANGE,
        actor=actor,
        changes=rows,
        source_ip=source_ip,
        detail=detail,
    )


ROLES = {"administrator": "会议管理员", "auditor": "审计员"}


@transaction.atomic
def grant_role(
    user: User,
    role: str,
    *,
    actor: Actor = None,
    source_ip: str | None = None,
    remove: bool = False,
) -> User:
    """Give (or with `remove` take) a role: "administrator", "auditor" (or their group
    names) or "superuser". Auditors are staff, so that the admin lets them in; the flags
    and groups changed are recorded as one event each (meetings.signals)."""
    from django.contrib.auth.models import Group

    group_name = ROLES.get(role, role)
    with audit.acting(actor, source_ip):
        if role == "superuser":
            flags = {"is_superuser": not remove, "is_staff": not remove or user.is_staff}
        else:
            try:
                group = Group.objects.get(name=group_name)
            except Group.DoesNotExist:
                raise ActionError(_("There is no role called %(role)s.") % {"role": role}) from None
            if remove:
                user.groups.remove(group)
            else:
                user.groups.add(group)
            staff = group_name == ROLES["auditor"]
            flags = {"is_staff": not remove} if staff else {}
        changed = [
            (name, getattr(user, name), value)
            for name, value in flags.items()
            if getattr(user, name) != value
        ]
        if changed:
            # Recorded by meetings.signals, as every flag change is.
            for name, _old, value in changed:
                setattr(user, name, value)
            user.save(update_fields=[name for name, _old, _new in changed])
    return user


@transaction.atomic
def set_wecom_userid(user: User, wecom_userid: str) -> Account:
    """Give `user` the WeCom userid `wecom_userid` ("" for none); ValidationError when it is
    not one. Recorded by meetings.signals, as every change of it is, with the
    surrounding audit.acting actor."""
    account, _created = Account.objects.get_or_create(user=user)
    account.wecom_userid = wecom_userid
    account.full_clean(exclude=["user"])
    account.save()
    return account


def wecom_userid_of(user: User | AnonymousUser) -> str:
    """The WeCom userid of a signed-in person, "" when they have none."""
    account = Account.objects.filter(user_id=user.pk).first() if user.pk else None
    return account.wecom_userid if account else ""


def note_answer(user_id: int, wecom_userid: str, refusal: str) -> None:
    """What WeCom answered about `wecom_userid` when a message was sent to it: a refusal
    (Account.Refusal) or "" when it was delivered. Kept only while the account still has that
    userid: an answer about the one it had before says nothing about the new one."""
    Account.objects.filter(user_id=user_id, wecom_userid=wecom_userid).update(
        wecom_refusal=refusal,
        wecom_refused_at=timezone.now() if refusal else None,
    )
