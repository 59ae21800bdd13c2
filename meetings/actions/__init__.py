"""Every write a person or WeCom causes: one function per action, in a module per area.

Views, commands and signal receivers call these and nothing else to change what this app
stores, so each rule about a write lives in one place, and so does its audit event: each
action writes it in its own transaction (see meetings.audit). `actor` is the person (None for
a command, recorded as "system") and `source_ip` the address their request came from.

- `meeting`: an administrator's edit, new meeting, cancellation, retry and conflict choice;
  each makes a desired state the sync carries to WeCom.
- `pulls`: taking in what WeCom holds: an imported meeting, a callback's pull.
- `calendar`: a calendar's add, update, delete and refresh, sent to WeCom within the request.
- `batch`: one change applied to many meetings: its preview, its confirmation as one
  meeting action per meeting, and its progress.
- `account`: log-ins, log-outs, failed log-ins, and who may do what.
- `errors`: the refusals (ActionError and its kinds), each with the reason for the person.

Callers import the area they need as `from meetings.actions import meeting as
meeting_actions` (likewise `pull_actions`, `calendar_actions`, `batch_actions`,
`account_actions`) and the refusals by name from `meetings.actions.errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    # The person acting: None for a command, recorded as "system".
    Actor = AbstractBaseUser | AnonymousUser | None
