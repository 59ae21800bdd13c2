"""gettoken (https://developer.work.weixin.qq.com/document/path/91039) and what every call
checks first: the access_token (40014 / 42001 / 41001), the method (43001 / 43002) and a JSON
body (40058), codes from 90313 as go-workwx's errcodes/mod.go lists them."""

import requests


def gettoken(sandbox, corpid=None, corpsecret=None):
    response = requests.get(
        f"{sandbox.url}/cgi-bin/gettoken",
        params={"corpid": corpid or sandbox.corp_id, "corpsecret": corpsecret or sandbox.secret},
        timeout=5,
    )
    assert response.status_code == 200
    return response.json()


def post(sandbox, path, params=None, data=b"{}"):
    return requests.post(f"{sandbox.url}/cgi-bin/{path}", params=params, data=data, timeout=5)


def test_it_issues_a_token_for_the_right_credentials(sandbox):
    answer = gettoken(sandbox)
    assert answer["errcode"] == 0
    assert answer["errmsg"] == "ok"
    assert isinstance(answer["access_token"], str) and 0 < len(answer["access_token"]) <= 512
    assert answer["expires_in"] == 7200


def test_it_returns_the_same_token_within_its_lifetime(sandbox):
    first = gettoken(sandbox)
    sandbox.advance(3600)
    second = gettoken(sandbox)
    assert second["access_token"] == first["access_token"]
    assert 3590 <= second["expires_in"] <= 3600


def test_it_refuses_a_wrong_corpid_with_40013(sandbox):
    answer = gettoken(sandbox, corpid="wwother")
    assert answer["errcode"] == 40013
    assert "access_token" not in answer


def test_it_refuses_a_wrong_secret_with_40001(sandbox):
    assert gettoken(sandbox, corpsecret="guessed")["errcode"] == 40001


def test_it_answers_41001_without_a_token(sandbox):
    response = post(sandbox, "meeting/get_info")
    assert response.status_code == 200
    assert response.json()["errcode"] == 41001
    assert post(sandbox, "meeting/get_info", {"access_token": ""}).json()["errcode"] == 41001


def test_it_answers_40014_for_an_unknown_token(sandbox):
    answer = post(sandbox, "meeting/get_info", {"access_token": "made-up"}).json()
    assert answer["errcode"] == 40014
    assert answer["errmsg"]


def test_it_answers_42001_once_the_token_expired(sandbox):
    token = sandbox.token()
    sandbox.advance(7200)
    assert sandbox.call("meeting/get_info", {"meetingid": "x"}, token=token)["errcode"] == 42001
    fresh = sandbox.token()
    assert fresh != token
    assert sandbox.call("meeting/get_info", {"meetingid": "x"}, token=fresh)["errcode"] == 730011


def test_it_measures_the_configured_lifetime_on_the_simulated_clock(sandbox):
    sandbox.configure(token_lifetime=60)
    answer = gettoken(sandbox)
    assert answer["expires_in"] == 60
    sandbox.advance(50)
    assert sandbox.call("meeting/get_info", {}, token=answer["access_token"])["errcode"] == 40058
    sandbox.advance(10)
    assert sandbox.call("meeting/get_info", {}, token=answer["access_token"])["errcode"] == 42001


def test_it_drops_every_token_when_asked(sandbox):
    token = sandbox.token()
    sandbox.control("DELETE", "tokens")
    assert sandbox.call("meeting/get_info", {}, token=token)["errcode"] == 40014


def test_it_answers_40058_for_a_body_that_is_not_json(sandbox):
    # https://developer.work.weixin.qq.com/document/path/90313, 40058: "json不合法" is the
    # first cause it lists (go-workwx errcodes/mod.go carries the same text).
    params = {"access_token": sandbox.token()}
    response = post(sandbox, "meeting/update", params, data=b'{"meetingid": ')
    assert response.status_code == 200
    assert response.json()["errcode"] == 40058
    assert post(sandbox, "meeting/update", params, data=b"").json()["errcode"] == 40058


def test_it_answers_40058_for_json_that_is_not_an_object(sandbox):
    params = {"access_token": sandbox.token()}
    assert post(sandbox, "meeting/update", params, data=b"[]").json()["errcode"] == 40058


def test_it_wants_post_for_meeting_calls_and_get_for_gettoken(sandbox):
    token = sandbox.token()
    answer = requests.get(
        f"{sandbox.url}/cgi-bin/meeting/get_info", params={"access_token": token}, timeout=5
    ).json()
    assert answer["errcode"] == 43002
    answer = requests.post(
        f"{sandbox.url}/cgi-bin/gettoken",
        params={"corpid": sandbox.corp_id, "corpsecret": sandbox.secret},
        timeout=5,
    ).json()
    assert answer["errcode"] == 43001


def test_it_answers_404_for_a_path_it_does_not_emulate(sandbox):
    response = post(sandbox, "user/get", {"access_token": sandbox.token()})
    assert response.status_code == 404
