"""Importing meetings in the background, one Celery task per meeting, so that a slow WeCom
keeps nobody waiting on a page; the import page follows each meeting's progress.

A job's progress lives in the shared cache (every web and worker process sees the same one),
one entry per meeting, each written by that meeting's task alone. It says only what is true:
waiting, asking WeCom, still trying after WeCom did not answer, imported, not found, or
refused with WeCom's errcode, whose message is rendered when shown, in the viewer's language.
"""

import uuid

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache

from wecom.errors import TokenError, TransientError, WeComError

from . import importing, search

# How long a job's progress can be looked at.
JOB_SECONDS = 24 * 3600
WAITING, TRYING, STILL_TRYING = "waiting", "trying", "still_trying"
IMPORTED, NOT_FOUND, REFUSED, GAVE_UP = "imported", "not_found", "refused", "gave_up"
SETTLED = frozenset((IMPORTED, NOT_FOUND, REFUSED, GAVE_UP))
# get_info's answers for a meeting WeCom does not have (wecom/errors.py says the same).
NOT_FOUND_ERRCODES = frozenset((730011, 90602, 730008, 730004))


def _job_key(job):
    return f"import-job:{job}"


def _item_key(job, index):
    return f"import-job:{job}:{index}"


def _put(job, index, **item):
    cache.set(_item_key(job, index), item, JOB_SECONDS)


def start(meetingids, *, actor, source_ip=None):
    """Queue the import of each meetingid; the job's id, for `progress`."""
    job = uuid.uuid4().hex
    cache.set(_job_key(job), {"count": len(meetingids), "actor": actor.pk}, JOB_SECONDS)
    for index, meetingid in enumerate(meetingids):
        _put(job, index, meetingid=meetingid, state=WAITING, tries=0)
    for index in range(len(meetingids)):
        import_one.delay(job, index, source_ip)
    return job


def progress(job):
    """Each meeting's progress in the order given, or None for a job unknown or forgotten."""
    head = cache.get(_job_key(job))
    if head is None:
        return None
    items = cache.get_many([_item_key(job, i) for i in range(head["count"])])
    return [items.get(_item_key(job, i)) or {"state": WAITING} for i in range(head["count"])]


def owner(job):
    head = cache.get(_job_key(job))
    return head and head["actor"]


def _backoff(tries):
    return min(settings.SYNC_BACKOFF_BASE * 2 ** (tries - 1), settings.SYNC_BACKOFF_MAX)


@shared_task(ignore_result=True)
def import_one(job, index, source_ip=None):
    item = cache.get(_item_key(job, index))
    head = cache.get(_job_key(job))
    if item is None or head is None or item["state"] in SETTLED:
        return
    meetingid, tries = item["meetingid"], item["tries"] + 1
    _put(job, index, meetingid=meetingid, state=TRYING, tries=tries)
    actor = get_user_model().objects.filter(pk=head["actor"]).first()
    try:
        # A 会议号 as the clients show it, or a meetingid.
        code = search.meeting_code(meetingid)
        fetch = importing.import_by_code if code else importing.import_by_id
        meeting, _created = fetch(code or meetingid, actor=actor, source_ip=source_ip)
    except (TransientError, TokenError):
        # WeCom did not answer, or was busy: tried again later, up to the sync's own limit.
        if tries >= settings.SYNC_MAX_TRIES:
            _put(job, index, meetingid=meetingid, state=GAVE_UP, tries=tries)
            return
        _put(job, index, meetingid=meetingid, state=STILL_TRYING, tries=tries)
        import_one.apply_async((job, index, source_ip), countdown=_backoff(tries))
    except WeComError as refused:
        state = NOT_FOUND if refused.errcode in NOT_FOUND_ERRCODES else REFUSED
        _put(job, index, meetingid=meetingid, state=state, tries=tries, errcode=refused.errcode)
    else:
        _put(
            job,
            index,
            meetingid=meetingid,
            state=IMPORTED,
            tries=tries,
            pk=meeting.pk,
            title=meeting.title,
        )
