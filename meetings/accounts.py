"""A person's account beyond their login: the WeCom userid the app's messages go to, and what
WeCom last answered about it.

The userid decides who reads messages about whose changes, so each change of it is recorded
as an account change (like a role change), whichever path made it: grant_role, the admin's
user page, a shell. The receivers below see every save of an Account.
"""

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from . import actions
from .audit import USER
from .models import Account

FIELD = "wecom_userid"


@transaction.atomic
def set_wecom_userid(user, wecom_userid):
    """Give `user` the WeCom userid `wecom_userid` ("" for none); ValidationError when it is
    not one. Recorded (see the module's docstring) with the surrounding audit.acting actor."""
    account, _created = Account.objects.get_or_create(user=user)
    account.wecom_userid = wecom_userid
    account.full_clean(exclude=["user"])
    account.save()
    return account


def note_answer(user_id, wecom_userid, refusal):
    """What WeCom answered about `wecom_userid` when a message was sent to it: a refusal
    (Account.Refusal) or "" when it was delivered. Kept only while the account still has that
    userid: an answer about the one it had before says nothing about the new one."""
    Account.objects.filter(user_id=user_id, wecom_userid=wecom_userid).update(
        wecom_refusal=refusal,
        wecom_refused_at=timezone.now() if refusal else None,
    )


def _before_save(sender, instance, raw=False, **kwargs):
    before = None
    if not raw:
        before = Account.objects.filter(pk=instance.pk).values_list(FIELD, flat=True).first()
    instance._wecom_userid_before = before or ""
    if not raw and (before or "") != instance.wecom_userid:
        # WeCom's answer was about the old userid.
        instance.wecom_refusal, instance.wecom_refused_at = "", None


def _saved(sender, instance, raw=False, **kwargs):
    before = getattr(instance, "_wecom_userid_before", "")
    if raw or before == instance.wecom_userid:
        return
    actions.record_account_change(
        USER % {"user": instance.user.get_username()},
        [{"field": FIELD, "old": before, "new": instance.wecom_userid}],
    )


def connect():
    uid = "meetings.accounts."
    pre_save.connect(_before_save, sender=Account, dispatch_uid=uid + "before_save")
    post_save.connect(_saved, sender=Account, dispatch_uid=uid + "saved")
