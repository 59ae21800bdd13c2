# The same people as the access tests: an administrator, an auditor and a superuser.
from tests.access.conftest import client_for, people, person  # noqa: F401
