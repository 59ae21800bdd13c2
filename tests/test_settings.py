import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start_with(**env):
    """Load the settings in a fresh interpreter, as start-up would, with extra variables."""
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://nobody@localhost/x"),
        ("CELERY_BROKER_URL", "carrier-pigeon://"),
        ("CACHE_URL", "memcached://localhost"),
        ("WECOM_API_BASE", "ftp://qyapi.weixin.qq.com"),
        ("WECOM_AGENT_ID", "agent-seven"),
        ("WECOM_INVITEE_CAP", "301"),
        ("DEBUG", "perhaps"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
        ("AXES_LOCKOUT", "everyone"),
        ("EMAIL_PORT", "smtp"),
    ],
)
def test_it_refuses_to_start_with_an_invalid_value_naming_the_variable(name, value):
    result = start_with(**{name: value})
    assert result.returncode != 0
    assert f"{name}:" in result.stderr


def test_it_starts_on_the_embedded_defaults():
    env = {k: "" for k in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "WECOM_API_BASE")}
    result = start_with(**env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
