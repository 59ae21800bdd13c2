"""The actions' refusals, whatever the area: callers import them from here by name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models import Meeting


class ActionError(Exception):
    """A write that must not happen, with the reason for the person who tried."""


class NotEditable(ActionError):
    """The meeting is no longer one to change here (its status is the message)."""


class StaleVersion(ActionError):
    """Someone saved the meeting after the form was loaded: nothing is overwritten."""

    def __init__(self, meeting: Meeting, loaded_version: int) -> None:
        super().__init__(meeting, loaded_version)
        self.meeting = meeting
        self.loaded_version = loaded_version


class CalendarRefused(ActionError):
    """WeCom refused a calendar write, or could not be asked: nothing was stored. `field` is
    the calendar field WeCom named (summary, color, admins…), or "" when it named none."""

    def __init__(self, reason: object, field: str = "") -> None:
        super().__init__(reason)
        self.field = field


class ChangedInWeCom(ActionError):
    """The calendar was changed in WeCom after the form was loaded: nothing was written, and
    `current`, what WeCom holds, is now stored here."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__("the calendar was changed in WeCom after the form was loaded")
        self.current = current
