"""WeComClient.message_send against the sandbox: the body 90236 documents, and the
per-member limit kept before anything is sent."""

import pytest

from wecom.errors import PermanentError
from wecom.limits import RateLimited

pytestmark = pytest.mark.django_db(transaction=True)

CARD = {
    "title": "项目周会",
    "description": "企业微信拒绝了会议密码",
    "url": "http://127.0.0.1:8000/meetings/1/",
    "btntxt": "详情",
}


def received(sandbox):
    return sandbox.control("GET", "messages")["messages"]


def test_it_sends_a_textcard_with_the_duplicate_check(sandbox, wecom):
    answer = wecom.message_send(["lisi", "nobody"], "textcard", CARD, duplicate_check_interval=1800)
    wecom.message_send(["lisi", "nobody"], "textcard", CARD, duplicate_check_interval=1800)

    assert answer["invaliduser"] == "nobody"
    (sent, _again) = sandbox.requests("message/send")
    assert sent["body"] == {
        "touser": "lisi|nobody",
        "msgtype": "textcard",
        "agentid": sandbox.agent_id,
        "textcard": CARD,
        "enable_duplicate_check": 1,
        "duplicate_check_interval": 1800,
    }
    (message,) = received(sandbox)
    assert message["touser"] == ["lisi"]


def test_it_raises_81013_when_nobody_can_be_reached(sandbox, wecom):
    with pytest.raises(PermanentError) as raised:
        wecom.message_send(["nobody"], "textcard", CARD)

    assert raised.value.errcode == 81013
    assert raised.value.field == "touser"


def test_it_holds_back_what_would_pass_a_members_limit(sandbox, wecom):
    sent = 0
    with pytest.raises(RateLimited) as raised:
        for number in range(31):
            wecom.message_send(["lisi"], "textcard", {**CARD, "title": f"第 {number} 条"})
            sent += 1

    # Never more than WeCom delivers in a minute, and what was held back never left.
    assert 1 <= sent <= 30
    assert len(sandbox.requests("message/send")) == sent
    assert raised.value.retry_after >= 1
    # Another member's budget is their own.
    wecom.message_send(["wangwu"], "textcard", CARD)
