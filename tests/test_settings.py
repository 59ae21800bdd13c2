import ast
import os
import re
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


@pytest.mark.parametrize(
    ("cache_url", "engine"),
    [
        ("redis://127.0.0.1:6379/1", "cached_db"),
        ("db://", "db"),
        # Memory is each process's own: a log-out in one would not reach the others.
        ("locmem://", "db"),
    ],
)
def test_sessions_are_read_from_the_cache_only_when_it_is_redis(cache_url, engine):
    result = subprocess.run(
        [sys.executable, "manage.py", "diffsettings", "--all"],
        cwd=ROOT,
        env={**os.environ, "CACHE_URL": cache_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"SESSION_ENGINE = 'django.contrib.sessions.backends.{engine}'" in result.stdout


def readme_variables():
    """The variables the first column of README's settings table names."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row)}


def settings_variables():
    """The environment variables config/settings.py reads, through its env helpers or
    os.environ."""
    tree = ast.parse((ROOT / "config" / "settings.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        first, func = node.args[0], node.func
        helper = isinstance(func, ast.Name) and func.id.startswith("env")
        environ = (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "environ"
        )
        if (helper or environ) and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def makefile_variables():
    """The variables only the Makefile reads (`make run`'s ports), with their defaults."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Z][A-Z0-9_]*) \?=", text, re.M))


def test_every_variable_the_settings_read_is_in_the_readme():
    assert settings_variables() - readme_variables() == set()


def test_every_variable_in_the_readme_is_read():
    assert readme_variables() - settings_variables() - makefile_variables() == set()


def test_the_table_parsers_find_what_they_look_for():
    # Without this, two empty sets would agree.
    assert {"DATABASE_URL", "WECOM_CALLBACK_AES_KEY", "EMAIL_USE_TLS"} <= readme_variables()
    assert {"DATABASE_URL", "WECOM_CALLBACK_AES_KEY", "VAR_DIR"} <= settings_variables()
    assert "PORT" in makefile_variables()


def second_defaults():
    """`getattr(settings, "NAME", default)` outside config/settings.py: a default kept twice,
    which drifts from the one the settings file and README give."""
    found = []
    for package in ("meetings", "wecom", "config"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "config" / "settings.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "getattr"
                    and len(node.args) == 3
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id == "settings"
                    and isinstance(node.args[1], ast.Constant)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.args[1].value}")
    return found


def test_no_setting_has_a_second_default_outside_the_settings_file():
    assert second_defaults() == []
