"""When a saved meeting has settled enough to go to WeCom: one call for a burst of saves.

An administrator often saves a meeting several times in a row (a title, then the time, then
an invitee forgotten). Each save asks for a sync a moment later; the sync waits until no save
has come for `SYNC_SETTLE_SECONDS` (the window restarts with every save), but never longer
than `SYNC_SETTLE_MAX_SECONDS` after the first save WeCom does not have yet, so that a
meeting edited without pause still reaches WeCom. The worker claims a meeting only once it
has `settled()`, and when the claim is refused asks `wait` how long to queue the sync again for.
"""

import functools
from datetime import timedelta

from django.conf import settings
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, Q, When
from django.db.models.functions import Now

from .models import Meeting


def delay(now, saved_at, unsynced_since, *, window, ceiling):
    """Seconds still to wait before syncing (0: sync now), from the time of the last save and
    of the first save since WeCom was last up to date. Pure: every input is an argument."""
    if saved_at is None:
        return 0.0
    due = saved_at + timedelta(seconds=window)
    if unsynced_since is not None:
        due = min(due, unsynced_since + timedelta(seconds=ceiling))
    return max(0.0, (due - now).total_seconds())


def wait(meeting_pk):
    """Seconds the sync of this meeting should still wait, read from its row (one query)."""
    row = (
        Meeting.objects.filter(pk=meeting_pk)
        .values_list("saved_at", "unsynced_since", Now())
        .first()
    )
    if row is None:
        return 0.0
    saved_at, unsynced_since, now = row
    return delay(
        now,
        saved_at,
        unsynced_since,
        window=settings.SYNC_SETTLE_SECONDS,
        ceiling=settings.SYNC_SETTLE_MAX_SECONDS,
    )


def settled():
    """The meetings `delay` says may sync now, as a condition on the row by the database's
    clock: the claim that starts a run carries it, so that a run costs no query of its own
    for the question. The same object for the same settings, so that the claim finds the
    SQL built for it (`rows.where_sql`) at the cost of a lookup."""
    return _settled(settings.SYNC_SETTLE_SECONDS, settings.SYNC_SETTLE_MAX_SECONDS)


@functools.cache
def _settled(window, ceiling):
    def ago(seconds):
        return ExpressionWrapper(Now() - timedelta(seconds=seconds), output_field=DateTimeField())

    return (
        Q(saved_at__isnull=True)
        | Q(saved_at__lte=ago(window))
        | Q(unsynced_since__lte=ago(ceiling))
    )


def on_save():
    """The columns a save updates (in the UPDATE that raises the version), by the database's
    clock, so that every web process and worker measures from the same time."""
    return {
        "saved_at": Now(),
        # The first save WeCom does not have yet starts the ceiling; later ones keep it.
        "unsynced_since": Case(
            When(
                synced_version__lt=F("version"),
                unsynced_since__isnull=False,
                then=F("unsynced_since"),
            ),
            default=Now(),
        ),
    }
