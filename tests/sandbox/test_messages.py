"""message/send as 90236 documents it, and the per-member limits of 90454."""

import pytest

from wecom.sandbox import messages
from wecom.sandbox.state import Sandbox

AGENT_ID = 1000002


def card(touser="lisi", **extra):
    return {
        "touser": touser,
        "msgtype": "textcard",
        "agentid": AGENT_ID,
        "textcard": {
            "title": "项目周会：同步失败",
            "description": '<div class="normal">企业微信拒绝了密码</div>',
            "url": "http://127.0.0.1:8000/meetings/1/",
            "btntxt": "详情",
        },
        **extra,
    }


def received(sandbox, touser=None):
    suffix = f"?touser={touser}" if touser else ""
    return sandbox.control("GET", f"messages{suffix}")["messages"]


def test_it_delivers_a_textcard_and_lists_it(sandbox):
    answer = sandbox.call("message/send", card())

    assert answer["errcode"] == 0
    assert answer["msgid"]
    assert answer["invaliduser"] == ""
    (message,) = received(sandbox, "lisi")
    assert message["msgid"] == answer["msgid"]
    assert message["touser"] == ["lisi"]
    assert message["textcard"]["title"] == "项目周会：同步失败"
    assert message["textcard"]["url"] == "http://127.0.0.1:8000/meetings/1/"
    assert received(sandbox, "wangwu") == []


def test_it_answers_81013_when_no_recipient_is_valid(sandbox):
    answer = sandbox.call("message/send", card(touser="Nobody|ghost", toparty="999"))

    assert answer["errcode"] == 81013
    # Userids come back in lower case (90236).
    assert answer["invaliduser"] == "nobody|ghost"
    assert answer["invalidparty"] == "999"
    assert received(sandbox) == []


def test_it_delivers_to_the_valid_and_names_the_invalid(sandbox):
    answer = sandbox.call("message/send", card(touser="LiSi|nobody", totag="3"))

    assert answer["errcode"] == 0
    assert answer["invaliduser"] == "nobody"
    assert answer["invalidtag"] == "3"
    (message,) = received(sandbox)
    assert message["touser"] == ["lisi"]


def test_it_names_members_without_a_licence_and_delivers_them_nothing(sandbox):
    sandbox.configure(unlicensed_users=["wangwu"])

    answer = sandbox.call("message/send", card(touser="lisi|wangwu"))

    assert answer["errcode"] == 0
    assert answer["unlicenseduser"] == "wangwu"
    assert [m["touser"] for m in received(sandbox)] == [["lisi"]]


def test_it_sends_to_a_department_and_to_everyone(sandbox):
    # Party 1 is the company; 研发部 is the second department of the demo directory.
    assert sandbox.call("message/send", card(touser=None, toparty="3"))["errcode"] == 0
    assert sandbox.call("message/send", card(touser="@all", toparty="999"))["errcode"] == 0

    department, everyone = received(sandbox)
    assert "lisi" in department["touser"] and "zhangsan" not in department["touser"]
    assert len(everyone["touser"]) == len(sandbox.control("GET", "users")["userids"])


@pytest.mark.parametrize(
    ("changes", "errcode"),
    [
        ({"touser": None}, 82001),
        ({"agentid": None}, 40056),
        ({"agentid": 1000003}, 301002),
        ({"msgtype": "fax"}, 40008),
        ({"touser": "|".join(f"u{n}" for n in range(1001))}, 40032),
        ({"enable_duplicate_check": 1, "duplicate_check_interval": 4 * 3600 + 1}, 40058),
    ],
)
def test_it_refuses_a_request_the_page_does_not_allow(sandbox, changes, errcode):
    body = {key: value for key, value in {**card(), **changes}.items() if value is not None}

    assert sandbox.call("message/send", body)["errcode"] == errcode
    assert received(sandbox) == []


def test_it_refuses_a_textcard_without_its_link(sandbox):
    body = card()
    del body["textcard"]["url"]

    assert sandbox.call("message/send", body)["errcode"] == 40058


def test_it_cuts_what_is_too_long_as_the_page_says(sandbox):
    body = card()
    body["textcard"]["title"] = "长" * 100
    body["textcard"]["btntxt"] = "查看详情内容"

    assert sandbox.call("message/send", body)["errcode"] == 0

    (message,) = received(sandbox)
    # 128 bytes of UTF-8 hold 42 whole three-byte characters.
    assert message["textcard"]["title"] == "长" * 42
    assert message["textcard"]["btntxt"] == "查看详情"


def test_it_does_not_deliver_the_same_content_again_within_the_interval(sandbox):
    body = card(enable_duplicate_check=1, duplicate_check_interval=600)

    first = sandbox.call("message/send", body)
    again = sandbox.call("message/send", body)
    other = sandbox.call("message/send", {**body, "touser": "lisi|wangwu"})

    assert first["errcode"] == again["errcode"] == other["errcode"] == 0
    assert [m["touser"] for m in received(sandbox)] == [["lisi"], ["lisi", "wangwu"]]

    sandbox.advance(601)
    assert sandbox.call("message/send", body)["errcode"] == 0
    assert len(received(sandbox, "lisi")) == 3


def test_its_duplicate_check_lasts_half_an_hour_by_default(sandbox):
    body = card(enable_duplicate_check=1)

    sandbox.call("message/send", body)
    sandbox.advance(1799)
    sandbox.call("message/send", body)
    assert len(received(sandbox)) == 1

    sandbox.advance(2)
    sandbox.call("message/send", body)
    assert len(received(sandbox)) == 2


def test_it_delivers_the_same_content_again_without_the_check(sandbox):
    sandbox.call("message/send", card())
    sandbox.call("message/send", card())

    assert len(received(sandbox)) == 2


def test_it_drops_the_31st_message_of_a_minute_to_one_member(sandbox):
    for number in range(30):
        body = card(touser="lisi|wangwu" if number == 0 else "lisi")
        body["textcard"]["title"] = f"第 {number} 条"
        assert sandbox.call("message/send", body)["errcode"] == 0

    over = sandbox.call("message/send", card())
    shared = sandbox.call("message/send", card(touser="lisi|wangwu"))

    assert over["errcode"] == 45009
    assert shared["errcode"] == 0
    assert len(received(sandbox, "lisi")) == 30
    assert len(received(sandbox, "wangwu")) == 2

    sandbox.advance(61)
    assert sandbox.call("message/send", card())["errcode"] == 0


def test_it_keeps_a_member_to_1000_messages_an_hour(sandbox):
    token = sandbox.token()
    for number in range(1000):
        if number % 30 == 0:
            sandbox.advance(61)
        body = card()
        body["textcard"]["title"] = f"第 {number} 条"
        assert sandbox.call("message/send", body, token=token)["errcode"] == 0, number

    sandbox.advance(61)
    assert sandbox.call("message/send", card())["errcode"] == 45009
    sandbox.advance(3600)
    assert sandbox.call("message/send", card())["errcode"] == 0


def test_its_control_api_forgets_the_messages(sandbox):
    sandbox.call("message/send", card())

    sandbox.control("DELETE", "messages")

    assert received(sandbox) == []


def test_it_keeps_the_messages_and_their_duplicate_check_across_restarts(tmp_path):
    path = tmp_path / "sandbox.json"
    first = Sandbox(agent_id=AGENT_ID, state_path=path)
    body = card(enable_duplicate_check=1)
    messages.send(first, body)

    second = Sandbox(agent_id=AGENT_ID, state_path=path)
    messages.send(second, body)

    assert [m["touser"] for m in messages.received(second)] == [["lisi"]]
