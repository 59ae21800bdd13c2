"""With state_path, a sandbox keeps its meetings across restarts (tokens and log excepted)."""

import json

import pytest
import requests

from tests.fixtures.sandbox import SandboxHandle
from wecom.sandbox.server import SandboxServer


@pytest.fixture
def start(tmp_path):
    servers = []

    def start_server():
        server = SandboxServer(state_path=tmp_path / "var" / "sandbox.json").start()
        servers.append(server)
        return SandboxHandle(server)

    yield start_server
    for server in servers:
        server.stop()


def test_it_keeps_meetings_calendars_directory_and_config_across_restarts(start, tmp_path):
    first = start()
    first.set_users(["zhangsan", "lisi", "newcomer"])
    first.configure(invitee_cap=42)
    cal_id = first.add_calendar(summary="演示日历")
    meetingid = first.create_meeting(
        title="重启之后",
        cal_id=cal_id,
        invitees={"userid": ["newcomer"]},
        reminders={
            "is_repeat": 1,
            "repeat_type": 1,
            "repeat_until_type": 1,
            "repeat_until_count": 3,
        },
    )
    old_token = first.token()
    first.server.stop()
    assert json.loads((tmp_path / "var" / "sandbox.json").read_text())["meetings"]

    second = start()
    info = second.call("meeting/get_info", {"meetingid": meetingid})
    assert info["title"] == "重启之后"
    assert info["cal_id"] == cal_id
    assert [m["userid"] for m in info["attendees"]["member"]] == ["zhangsan", "newcomer"]
    assert len(info["sub_meetings"]) == 3
    assert second.control("GET", "config")["config"]["invitee_cap"] == 42
    assert second.control("GET", "users")["userids"] == ["zhangsan", "lisi", "newcomer"]
    [calendar] = second.call("oa/calendar/get", {"cal_id_list": [cal_id]})["calendar_list"]
    assert calendar["summary"] == "演示日历"
    # Tokens and the request log are not kept.
    assert (
        second.call("meeting/get_info", {"meetingid": meetingid}, token=old_token)["errcode"]
        == 40014
    )
    assert [e["path"] for e in second.requests()][:2] == ["gettoken", "meeting/get_info"]


def test_it_writes_the_state_after_each_change(start, tmp_path):
    handle = start()
    path = tmp_path / "var" / "sandbox.json"
    meetingid = handle.create_meeting()
    handle.call("meeting/update", {"meetingid": meetingid, "title": "已保存"})
    assert json.loads(path.read_text())["meetings"][meetingid]["title"] == "已保存"
    handle.patch_meeting(meetingid, title="直接改")
    assert json.loads(path.read_text())["meetings"][meetingid]["title"] == "直接改"
    handle.control("POST", "reset")
    assert json.loads(path.read_text())["meetings"] == {}


def test_it_keeps_the_moved_clock(start):
    first = start()
    first.advance(10 * 86400)
    moved = first.now()
    first.server.stop()
    assert abs(start().now() - moved) <= 2


def test_it_refuses_a_state_file_it_cannot_read(tmp_path):
    path = tmp_path / "sandbox.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="cannot be read"):
        SandboxServer(state_path=path)
    assert path.read_text() == "{not json"


def test_it_keeps_nothing_without_a_state_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    server = SandboxServer().start()
    try:
        handle = SandboxHandle(server)
        handle.create_meeting()
        assert requests.get(f"{handle.url}/__sandbox__/meetings", timeout=5).json()["meetings"]
    finally:
        server.stop()
    assert list(tmp_path.iterdir()) == []
