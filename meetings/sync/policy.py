"""What a failed call means for the meeting: try again (when, and why), or stop and say why.

One function, `decide`, so that the whole policy reads in one place. WeCom's call limits
(45009 blocks one API for the rest of a window) are kept by the client for every process
(wecom.limits): a call it refuses was never sent, so it is waited out without counting a try.
So is a call made while a refusal of the app's secret is held (wecom.tokens.SecretHold): WeCom
answered an earlier gettoken, not this call, and is asked again once the hold is over. Only
that answer, if it is a refusal again, fails the meeting for good (ConfigurationError).
"""

import math
import random
from dataclasses import dataclass

from django.conf import settings

from wecom.errors import (
    ConfigurationError,
    PermanentError,
    TokenError,
    TransientError,
    WeComError,
)
from wecom.limits import RateLimited
from wecom.tokens import SecretHold

from .. import problems

TOKEN_ERRCODES = (40014, 42001)


@dataclass(frozen=True)
class Decision:
    retry: bool
    # Why, in words the administrator's language renders when shown.
    problem: problems.Problem
    # Seconds before the next try (retry only).
    delay: float = 0.0
    # The field the refusal concerns, when WeCom named one.
    field: str = ""
    # False when nothing reached WeCom: the wait is not one of the meeting's tries.
    counted: bool = True


def max_tries() -> int:
    return settings.SYNC_MAX_TRIES


def backoff(tries: int) -> float:
    """Seconds before try number `tries + 1`: exponential, capped, with jitter so that
    meetings that failed together do not come back together. The first half of the delay is
    kept, so a retry never comes sooner than half the nominal back-off."""
    base, cap = settings.SYNC_BACKOFF_BASE, settings.SYNC_BACKOFF_MAX
    delay = min(cap, base * 2 ** max(0, tries - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def decide(err: WeComError, *, tries: int, last_errcode: int | None) -> Decision:
    """The error of this meeting's try number `tries + 1`, the previous try's errcode."""
    if isinstance(err, RateLimited):
        # Spread a little, so the meetings waiting on one API do not all come back at once.
        delay = err.retry_after + random.uniform(0, min(err.retry_after, 5))
        return Decision(True, _held_back(err), delay, counted=False)
    if isinstance(err, TokenError) and last_errcode in TOKEN_ERRCODES:
        # The client refreshed and re-sent once already, and the previous try ended the same
        # way: a token WeCom keeps refusing is for an operator, not for more tries.
        return Decision(False, problem=problems.Problem("token_refused", errcode=err.errcode))
    if isinstance(err, TransientError | TokenError):
        if tries + 1 >= max_tries():
            return Decision(
                False,
                problem=problems.Problem(
                    "gave_up",
                    {"tries": tries + 1, "reason": _short_reason(err)},
                    err.errcode,
                ),
            )
        delay = backoff(tries + 1)
        if err.retry_after:
            # WeCom said how long the block lasts: wait it out, spread a little so the
            # waiting meetings do not all come back in the same second.
            delay = err.retry_after + random.uniform(0, min(err.retry_after, delay))
        return Decision(True, problems.wecom(err), delay)
    field_name = err.field if isinstance(err, PermanentError) else ""
    if isinstance(err, ConfigurationError):
        problem = problems.wecom(err)
    else:
        problem = problems.wecom(err)
    return Decision(False, problem=problem, field=field_name or "")


def _held_back(err: RateLimited) -> problems.Problem:
    """Why a call was not sent: the call limits, or a refusal of the secret being held."""
    if isinstance(err, SecretHold):
        return problems.Problem(
            "secret_held", {"refused_at": int(err.refused_at), "until": math.ceil(err.until)}
        )
    return problems.Problem("rate_limited")


def _short_reason(err: WeComError) -> str:
    if err.errcode is None:
        return err.description
    return f"errcode {err.errcode}"
