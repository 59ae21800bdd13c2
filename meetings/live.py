"""Pages that keep up with the sync: which states are still moving, and the htmx events that
tell a page a sync started or settled.

A region showing a meeting polls itself while its sync is in flight, and stops when it is
settled; the events let the other regions of the page (the navigation's count, the sync
panel, the meeting's values) follow at once rather than at their next poll.
"""

from django.db.models import Q
from django_htmx.http import trigger_client_event

from .models import Status, SyncState

# The states in which the sync stops until a person acts: Retry, or a choice in a conflict.
NEEDS_ATTENTION = frozenset((SyncState.FAILED, SyncState.CONFLICT))
# The meetings waiting for a person: a meeting no longer scheduled (ended, or cancelled in
# WeCom) takes no change, so no Retry or choice can help it; its page says why it stopped.
WAITING_FOR_A_PERSON = Q(sync_state__in=NEEDS_ATTENTION, status=Status.SCHEDULED)
# The states in which the worker still has the change in hand.
IN_FLIGHT = frozenset((SyncState.PENDING, SyncState.SYNCING, SyncState.RETRYING))


def in_flight(meeting):
    return meeting.sync_state in IN_FLIGHT


def announce(response, meeting):
    """Tell the page (an htmx event on its body) that the meeting's sync settled, so that the
    navigation's count follows, or started again, so that the regions showing it poll."""
    return trigger_client_event(response, "sync-started" if in_flight(meeting) else "sync-settled")
