"""What one run carries from step to step: the meeting as read, the run's lease, its calls to
WeCom and how it will end. In a module of its own so that the steps in other modules
(`create`) name it without importing the run."""

from dataclasses import dataclass, field

from ..models import Meeting
from ..problems import Problem
from .attempts import Attempt, Caller
from .endings import Ending
from .lease import Lease


@dataclass
class Run:
    meeting: Meeting
    lease: Lease
    calls: Caller
    ending: Ending
    # Occurrence cancels that can no longer be carried out, as problems.Problem each.
    lost: list[Problem] = field(default_factory=list)

    def get_info(self) -> Attempt:
        """Read the meeting from WeCom (a failure ends the run)."""
        return self.calls.need(lambda wecom: wecom.meeting_get_info(self.meeting.meetingid))
