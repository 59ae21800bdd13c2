"""Reconcile one meeting with WeCom: the sync worker's whole job, with no Celery in it.

Read top-down, in this order:

- `run`: one run, guard -> read -> plan -> send -> read back -> verify;
- `merge`: the pure three-way merge of base, mine and theirs, and one notion of "the same";
- `plan`: pure, from the states to the calls, and from a fresh read to what is held;
- `attempts`: each call to WeCom and its SyncAttempt row;
- `policy`: what an error means (retry when, or stop and why);
- `lease`: one worker at a time per meeting, and the sweep that restarts lost work;
- `create`: a new meeting created in WeCom exactly once;
- `endings`: the only writer of a meeting's sync state and of the audit settlements.
"""

from .attempts import redact
from .endings import (
    AGAIN,
    BUSY,
    CONFLICT,
    FAILED,
    GONE,
    NOTHING,
    RETRY,
    SYNCED,
    TAKEN_IN,
    WAITING,
    Result,
)
from .lease import claim, sweep
from .merge import TIME, body_from_leaves, groups_of, leaves, merge, same, to_send
from .run import reconcile

__all__ = [
    "AGAIN",
    "BUSY",
    "CONFLICT",
    "FAILED",
    "GONE",
    "NOTHING",
    "RETRY",
    "SYNCED",
    "TAKEN_IN",
    "WAITING",
    "Result",
    "TIME",
    "body_from_leaves",
    "claim",
    "groups_of",
    "leaves",
    "merge",
    "reconcile",
    "redact",
    "same",
    "sweep",
    "to_send",
]
