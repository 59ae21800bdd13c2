"""Batch changes: the people of each role (as the access tests make them) and an office
administrator's client."""

from tests.access.conftest import client_for, people  # noqa: F401
from tests.meetings.factories import office_client  # noqa: F401
