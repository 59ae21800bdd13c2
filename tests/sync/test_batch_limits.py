"""A batch's meetings reach WeCom through the same worker and the same call limits as single
edits: with a budget of two calls per ten seconds, the worker holds back what goes past it
instead of sending a burst."""

import math
import time

import pytest
from django.contrib.auth import get_user_model

from meetings.actions import account as account_actions
from meetings.actions import batch as batch_actions
from meetings.models import Batch, Meeting, SyncState

from .conftest import import_new, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("worker")]

# WECOM_RATE_PER_MINUTE 14: each ten-second bucket of the shared budget takes two calls per API
# (wecom.limits).
PER_MINUTE = 14
PER_BUCKET = 2
BUCKET_SECONDS = 10


def test_a_batch_keeps_wecoms_call_limits(sandbox, settings):
    administrator = get_user_model().objects.create_user("xiao.li")
    account_actions.grant_role(administrator, "administrator")
    meetings = [import_new(sandbox, title=f"周会 {n}") for n in range(8)]
    sandbox.clear_requests()
    settings.WECOM_RATE_PER_MINUTE = PER_MINUTE
    the_batch = batch_actions.choose(
        Meeting.objects.filter(pk__in=[m.pk for m in meetings]), actor=administrator
    )
    batch_actions.set_change(
        the_batch, batch_actions.Change(Batch.Kind.SETTING, "settings.enable_enroll", True)
    )
    started = time.monotonic()
    batch_actions.confirm(the_batch, actor=administrator)

    held = wait_for(
        lambda: Meeting.objects.filter(sync_state=SyncState.RETRYING).count(),
        timeout=30,
        message="the worker to hold a meeting back",
    )
    reads = len(sandbox.requests("meeting/get_info"))
    buckets = math.ceil((time.monotonic() - started) / BUCKET_SECONDS) + 1
    assert held >= 1
    # Without the limit every meeting's first read goes out at once.
    assert reads <= PER_BUCKET * buckets < len(meetings)
    assert len(sandbox.requests("meeting/update")) <= PER_BUCKET * buckets
