"""What a newcomer meets first: make run's processes agree on where the sandbox keeps its
state, the demo login has the role the README gives it, and grant_role can create the user."""

import io
import os
import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from meetings.models import Meeting
from wecom.sandbox.state import Sandbox

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def procfile_command(name, **env):
    """The Procfile line `name` as the shell honcho starts it would expand it."""
    line = next(
        line.split(":", 1)[1].strip()
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith(f"{name}:")
    )
    clean = {k: v for k, v in os.environ.items() if k != "VAR_DIR"}
    expanded = subprocess.run(
        ["sh", "-c", f"printf '%s\\n' {line}"],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return expanded.stdout.split()


def log_in(client, username, password):
    """Through the login page, as a person does (django-axes wants the request)."""
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def state_file(command):
    return command[command.index("--state") + 1]


def test_the_procfiles_sandbox_loads_the_state_setup_demo_seeds(sandbox, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.WECOM_API_BASE = f"http://127.0.0.1:{settings.SANDBOX_PORT}"
    call_command("setup_demo", stdout=io.StringIO())
    assert Meeting.objects.exists()

    command = procfile_command("sandbox", VAR_DIR=str(tmp_path), SANDBOX_PORT="8900")
    assert Path(state_file(command)) == tmp_path / "sandbox.json"
    assert (tmp_path / "sandbox.json").exists()
    # Without VAR_DIR, both use var/ in the checkout.
    assert state_file(procfile_command("sandbox", SANDBOX_PORT="8900")) == "var/sandbox.json"


def test_the_demo_sandbox_sends_its_callbacks_to_the_app(sandbox, settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    settings.WECOM_API_BASE = f"http://127.0.0.1:{settings.SANDBOX_PORT}"
    monkeypatch.setenv("PORT", "8310")
    call_command("setup_demo", stdout=io.StringIO())

    # As the Procfile's sandbox starts: from the state file.
    config = Sandbox(state_path=tmp_path / "sandbox.json").config
    assert config["callback_url"] == "http://127.0.0.1:8310/wecom/callback/"
    assert config["callback_token"] == settings.WECOM_CALLBACK_TOKEN
    assert config["callback_aes_key"] == settings.WECOM_CALLBACK_AES_KEY


def test_the_demo_login_is_a_meeting_administrator_without_the_admin(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.WECOM_API_BASE = "http://127.0.0.1:9"  # no sandbox to seed: the user alone
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    password = re.search(r"Password: (\S+)", out.getvalue()).group(1)

    user = get_user_model().objects.get(username="admin")
    assert not user.is_superuser and not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["会议管理员"]
    client = Client()
    assert log_in(client, "admin", password)
    assert client.get(reverse("meetings:new")).status_code == 200
    assert client.get("/admin/").status_code == 403


def test_grant_role_creates_the_user_it_is_asked_to(client):
    out = io.StringIO()
    call_command("grant_role", "li.audit", "auditor", "--create", stdout=out)
    password = re.search(r"Password: (\S+)", out.getvalue()).group(1)
    assert log_in(client, "li.audit", password)
    assert client.get("/admin/meetings/auditevent/").status_code == 200

    with pytest.raises(CommandError, match="--create"):
        call_command("grant_role", "nobody", "administrator")
    # An existing user keeps their password.
    again = io.StringIO()
    call_command("grant_role", "li.audit", "administrator", "--create", stdout=again)
    assert "Password" not in again.getvalue()
