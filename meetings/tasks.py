"""The Celery side of the sync: load by id, let meetings.sync decide, queue what it asks for.

Every decision lives in meetings.sync and in the meeting's row, not in the messages: a
message lost or delivered twice changes nothing, because the periodic sweep finds every
meeting whose desired version is ahead of what WeCom confirmed.
"""

import logging

from celery import shared_task
from django.conf import settings

from . import notify, sync

logger = logging.getLogger("meetings.tasks")


@shared_task(acks_late=True, ignore_result=True)
def sync_meeting(meeting_pk):
    # Saves still coming in: go once they have settled, as one call (meetings.settle).
    result = sync.reconcile(meeting_pk, settled=True)
    # A sync that stopped for a person (failed, or a conflict) is what a log watch is for.
    level = logging.WARNING if result.outcome in (sync.FAILED, sync.CONFLICT) else logging.INFO
    logger.log(level, "meeting %s: %s %s", meeting_pk, result.outcome, result.detail)
    if result.retry_in is not None:
        enqueue(meeting_pk, countdown=result.retry_in)


@shared_task(ignore_result=True)
def sweep():
    due = sync.sweep()
    for pk in due:
        if not enqueue(pk):
            # The broker is down: every other publish would fail the same way, and the
            # next sweep runs again anyway.
            break
    if due:
        logger.info("sweep: %d meetings queued for sync", len(due))
    if messages := notify.sweep():
        logger.info("sweep: %d app messages queued again", messages)


def enqueue(meeting_pk, countdown=None):
    """Queue a sync of the meeting; False (and a log line) when the broker cannot take it."""
    try:
        # Retried as CELERY_TASK_PUBLISH_RETRY_POLICY says: once, quickly.
        sync_meeting.apply_async((meeting_pk,), countdown=countdown, retry=True)
    except Exception:
        # Whatever the transport raised, the meeting's row still says it needs a sync.
        logger.warning(
            "meeting %s: the sync could not be queued; the sweep will queue it",
            meeting_pk,
            exc_info=True,
        )
        return False
    return True


def enqueue_after_save(meeting_pk):
    """Queue the sync of a just-saved edit, a moment later, so that a burst of saves on the
    same meeting goes out as one call (the run sends the newest version it finds)."""
    return enqueue(meeting_pk, countdown=settings.SYNC_SETTLE_SECONDS or None)
