"""The pytest plugin and the package's promise to stay free of Django."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_it_points_the_app_settings_at_the_sandbox(sandbox, settings):
    assert settings.WECOM_API_BASE == sandbox.url
    assert settings.WECOM_CORP_ID == sandbox.sandbox.corp_id
    assert settings.WECOM_SECRET == sandbox.sandbox.secret
    assert settings.WECOM_AGENT_ID == sandbox.sandbox.agent_id


def test_it_starts_each_test_afresh(sandbox):
    assert sandbox.sandbox.meetings == {}
    assert sandbox.requests() == []


def test_it_serves_concurrent_calls_without_losing_any(sandbox):
    token = sandbox.token()
    start = sandbox.now() + 3600

    def create(n):
        body = {
            "admin_userid": "zhangsan",
            "title": f"并发{n}",
            "meeting_start": start,
            "meeting_duration": 1800,
        }
        return sandbox.call("meeting/create", body, token=token)["meetingid"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        meetingids = list(pool.map(create, range(24)))
    assert len(set(meetingids)) == 24
    assert set(sandbox.sandbox.meetings) == set(meetingids)
    assert [e["seq"] for e in sandbox.requests()] == list(range(1, 26))


def test_it_runs_without_django():
    code = (
        "import sys; import wecom.sandbox.server, wecom.sandbox.meetings; "
        "assert not [m for m in sys.modules if m.startswith('django')], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
