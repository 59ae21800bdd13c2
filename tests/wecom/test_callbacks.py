"""wecom.callbacks against raw `cryptography` primitives and hashlib, written out here from
the protocol's description, so that the module is not only checked against itself."""

import base64
import hashlib
import os
import queue
import struct
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wecom import callbacks
from wecom.callbacks import (
    CallbackCrypto,
    MalformedCallback,
    SignatureError,
    StaleTimestamp,
)

TOKEN = "QDG6eK"
# 32 known bytes, as WeCom would show them: base64 without its final "=".
RAW_KEY = bytes(range(32))
ENCODING_AES_KEY = base64.b64encode(RAW_KEY).decode().rstrip("=")
CORP_ID = "wx5823bf96d3bd56c7"


def reference_encrypt(message, receiveid, prefix):
    plain = prefix + struct.pack(">I", len(message.encode())) + message.encode()
    plain += receiveid.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(RAW_KEY), modes.CBC(RAW_KEY[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def reference_decrypt(encrypted):
    decryptor = Cipher(algorithms.AES(RAW_KEY), modes.CBC(RAW_KEY[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    plain = plain[: -plain[-1]]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length].decode(), plain[20 + length :].decode()


def reference_signature(*parts):
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def test_it_decodes_the_encoding_aes_key_to_32_bytes():
    assert len(ENCODING_AES_KEY) == 43
    assert callbacks.aes_key(ENCODING_AES_KEY) == RAW_KEY


def test_it_refuses_an_encoding_aes_key_that_is_not_43_base64_characters():
    assert not callbacks.is_encoding_aes_key(ENCODING_AES_KEY[:42])
    assert not callbacks.is_encoding_aes_key(ENCODING_AES_KEY[:42] + "!")
    with pytest.raises(ValueError):
        CallbackCrypto(TOKEN, "short", CORP_ID)


@pytest.mark.parametrize("message", ["", "1616139042", "会议 changed", "x" * 95, "y" * 300])
def test_it_encrypts_what_the_reference_decrypts(message):
    encrypted = callbacks.encrypt(message, ENCODING_AES_KEY, CORP_ID)
    assert reference_decrypt(encrypted) == (message, CORP_ID)
    # The padding runs to a multiple of 32 bytes, a whole 32 when already aligned.
    assert len(base64.b64decode(encrypted)) % 32 == 0


def test_it_encrypts_the_same_bytes_as_the_reference_for_the_same_prefix():
    prefix = os.urandom(16)
    message = "<xml><Event>meeting_change</Event></xml>"
    expected = reference_encrypt(message, CORP_ID, prefix)
    actual = callbacks.encrypt(message, ENCODING_AES_KEY, CORP_ID, random_prefix=prefix)
    assert actual == expected


@pytest.mark.parametrize("message", ["", "echo 12345", "会议" * 40])
def test_it_decrypts_what_the_reference_encrypts(message):
    encrypted = reference_encrypt(message, CORP_ID, os.urandom(16))
    assert callbacks.decrypt(encrypted, ENCODING_AES_KEY) == (message, CORP_ID)


def test_it_signs_as_the_reference_does():
    assert callbacks.signature(TOKEN, "1409659813", "1372623149", "abc") == reference_signature(
        TOKEN, "1409659813", "1372623149", "abc"
    )


def test_it_refuses_a_ciphertext_made_with_another_key():
    other = base64.b64encode(bytes(range(1, 33))).decode().rstrip("=")
    encrypted = callbacks.encrypt("hello", other, CORP_ID)
    with pytest.raises(MalformedCallback):
        callbacks.decrypt(encrypted, ENCODING_AES_KEY)


def test_it_refuses_a_message_for_another_corp():
    crypto = CallbackCrypto(TOKEN, ENCODING_AES_KEY, CORP_ID)
    encrypted = reference_encrypt("hello", "wwsomeoneelse", os.urandom(16))
    with pytest.raises(MalformedCallback):
        crypto.open(encrypted)


def handshake_query(echostr, timestamp, nonce="n0nce", token=TOKEN):
    return {
        "msg_signature": reference_signature(token, str(timestamp), nonce, echostr),
        "timestamp": str(timestamp),
        "nonce": nonce,
        "echostr": echostr,
    }


def test_it_opens_a_handshake_echostr():
    crypto = CallbackCrypto(TOKEN, ENCODING_AES_KEY, CORP_ID)
    echostr = reference_encrypt("5927782489442352469", CORP_ID, os.urandom(16))
    query = handshake_query(echostr, 1_700_000_000)
    assert crypto.open_echostr(query, now=1_700_000_010) == "5927782489442352469"


def test_it_refuses_a_forged_signature():
    crypto = CallbackCrypto(TOKEN, ENCODING_AES_KEY, CORP_ID)
    echostr = reference_encrypt("42", CORP_ID, os.urandom(16))
    query = handshake_query(echostr, 1_700_000_000, token="not-the-token")
    with pytest.raises(SignatureError):
        crypto.open_echostr(query, now=1_700_000_000)


def test_it_refuses_a_timestamp_outside_the_replay_window():
    crypto = CallbackCrypto(TOKEN, ENCODING_AES_KEY, CORP_ID)
    echostr = reference_encrypt("42", CORP_ID, os.urandom(16))
    query = handshake_query(echostr, 1_700_000_000)
    window = callbacks.REPLAY_WINDOW_SECONDS
    assert crypto.open_echostr(query, now=1_700_000_000 + window) == "42"
    with pytest.raises(StaleTimestamp):
        crypto.open_echostr(query, now=1_700_000_000 + window + 1)
    with pytest.raises(StaleTimestamp):
        crypto.open_echostr(query, now=1_700_000_000 - window - 1)


def test_it_round_trips_a_sealed_event():
    crypto = CallbackCrypto(TOKEN, ENCODING_AES_KEY, CORP_ID)
    message = callbacks.meeting_change_xml(
        CORP_ID, "hyABC", "modify_meeting", "lisi", create_time=1_700_000_000
    )
    query, body = crypto.seal_event(message, agent_id=1000002, timestamp=1_700_000_000)
    assert "<Encrypt><![CDATA[" in body
    encrypted = body.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    assert query["msg_signature"] == reference_signature(
        TOKEN, query["timestamp"], query["nonce"], encrypted
    )
    assert reference_decrypt(encrypted) == (message, CORP_ID)
    fields = crypto.open_event(query, body.encode(), now=1_700_000_001)
    assert fields == {
        "ToUserName": CORP_ID,
        # 99081: the member who changed the meeting, not "sys".
        "FromUserName": "lisi",
        "CreateTime": "1700000000",
        "MsgType": "event",
        "Event": "meeting_change",
        "ChangeType": "modify_meeting",
        "MeetingId": "hyABC",
    }


def test_it_refuses_an_envelope_with_a_doctype():
    crypto = CallbackCrypto(TOKEN, ENCODING_AES_KEY, CORP_ID)
    body = '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    with pytest.raises(MalformedCallback):
        crypto.open_event({"msg_signature": "x", "timestamp": "1", "nonce": "n"}, body)


# --- the sandbox sending them ------------------------------------------------------------


@pytest.fixture
def receiver():
    """A bare HTTP server that keeps what is POSTed to it: (path with query, body)."""
    received = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.put((self.path, body))
            self.send_response(200)
            self.send_header("Content-Length", "7")
            self.end_headers()
            self.wfile.write(b"success")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.received = received
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hook/"
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("patch", "change"),
    [({"title": "改过的标题"}, "modify_meeting"), ({"status": 4}, "cancel_meeting")],
)
def test_it_has_the_sandbox_send_a_signed_event_after_a_patch(sandbox, receiver, patch, change):
    meetingid = sandbox.create_meeting()
    sandbox.configure(
        callback_url=receiver.url, callback_token=TOKEN, callback_aes_key=ENCODING_AES_KEY
    )

    sandbox.patch_meeting(meetingid, **patch)

    path, body = receiver.received.get(timeout=5)
    parts = urlsplit(path)
    assert parts.path == "/hook/"
    query = dict(parse_qsl(parts.query))
    crypto = CallbackCrypto(TOKEN, ENCODING_AES_KEY, sandbox.corp_id)
    fields = crypto.open_event(query, body)
    assert (fields["Event"], fields["ChangeType"], fields["MeetingId"]) == (
        "meeting_change",
        change,
        meetingid,
    )
    # 99081: the member who made the change; the organiser when nobody else is named.
    assert fields["FromUserName"] == "zhangsan"


def test_it_has_the_sandbox_name_the_member_who_made_the_change(sandbox, receiver):
    meetingid = sandbox.create_meeting()
    sandbox.configure(
        callback_url=receiver.url, callback_token=TOKEN, callback_aes_key=ENCODING_AES_KEY
    )
    sandbox.control("PATCH", f"meetings/{meetingid}?by=lisi", {"title": "李四改的"})
    path, body = receiver.received.get(timeout=5)
    query = dict(parse_qsl(urlsplit(path).query))
    fields = CallbackCrypto(TOKEN, ENCODING_AES_KEY, sandbox.corp_id).open_event(query, body)
    assert fields["FromUserName"] == "lisi"


def test_it_has_the_sandbox_send_nothing_without_a_callback_url(sandbox, receiver):
    meetingid = sandbox.create_meeting()
    sandbox.patch_meeting(meetingid, title="无人通知")
    with pytest.raises(queue.Empty):
        receiver.received.get(timeout=0.5)


@pytest.mark.parametrize(
    "bad",
    [{"callback_url": "ftp://x"}, {"callback_token": ""}, {"callback_aes_key": "short"}],
)
def test_it_has_the_sandbox_refuse_an_unusable_callback_config(sandbox, bad):
    response = requests.post(f"{sandbox.url}/__sandbox__/config", json=bad, timeout=5)
    assert response.status_code == 400
