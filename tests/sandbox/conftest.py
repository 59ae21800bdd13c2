import pytest


@pytest.fixture
def meeting(sandbox):
    """A one-off meeting by zhangsan with lisi and wangwu, an hour ahead."""
    return sandbox.create_meeting()


@pytest.fixture
def info(sandbox):
    def get_info(meetingid, **extra):
        answer = sandbox.call("meeting/get_info", {"meetingid": meetingid, **extra})
        assert answer["errcode"] == 0, answer
        return answer

    return get_info
