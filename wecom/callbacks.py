"""WeCom's callback wire format: the signature, the AES-CBC envelope and the XML around it.

Both sides use it: the app's callback view opens what WeCom sends, the sandbox seals what it
sends. No Django here, so that the sandbox stays free of it.

    crypto = CallbackCrypto(token, encoding_aes_key, corp_id)
    text = crypto.open_echostr(query)                 # the URL handshake (GET)
    message = crypto.open_event(query, body)          # an event (POST): a dict of its fields
    query, body = crypto.seal_event(xml_text)         # what the sandbox POSTs

The protocol (developer.work.weixin.qq.com/document/path/90930 and 90968): AESKey is the
43-character EncodingAESKey plus "=" decoded (32 bytes), the IV its first 16 bytes; the
plaintext is 16 random bytes, the message length (4 bytes, big-endian), the message and the
receiveid (our CorpID), padded PKCS#7-style to a multiple of 32 bytes; msg_signature is the
SHA-1 of the four strings token, timestamp, nonce and the ciphertext, sorted and joined.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import struct
import time
import xml.etree.ElementTree as ET  # noqa: S405 - guarded by _parse_xml below

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# WeCom pads to 32 bytes, not to AES's block of 16: PKCS#7 with a block size of 32.
PAD_BLOCK = 32
RANDOM_BYTES = 16
# A request signed further than this from our clock, either way, is refused: it is either a
# replay of a captured request or a sender whose clock is badly off. Five minutes leaves room
# for clock drift and WeCom's own retries (it retries a callback for a few seconds).
REPLAY_WINDOW_SECONDS = 300
# An envelope is a few hundred bytes; anything much larger is not WeCom's.
MAX_BODY_BYTES = 64 * 1024

_ENCODING_AES_KEY = re.compile(r"[A-Za-z0-9+/]{43}")


class CallbackError(Exception):
    """A callback that cannot be trusted or read. The message never holds the payload."""


class SignatureError(CallbackError):
    pass


class StaleTimestamp(CallbackError):
    pass


class MalformedCallback(CallbackError):
    pass


class Replayed(CallbackError):
    """A genuine, recent request received before: it is to count once."""


def is_encoding_aes_key(value):
    """True for a usable EncodingAESKey: 43 characters of base64 (32 bytes once decoded)."""
    return isinstance(value, str) and _ENCODING_AES_KEY.fullmatch(value) is not None


def aes_key(encoding_aes_key):
    if not is_encoding_aes_key(encoding_aes_key):
        raise ValueError("the EncodingAESKey must be 43 characters of base64")
    return base64.b64decode(encoding_aes_key + "=")


def signature(token, timestamp, nonce, encrypted):
    """msg_signature: SHA-1 (hex) of the four strings sorted and joined."""
    parts = sorted([str(token), str(timestamp), str(nonce), str(encrypted)])
    return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()  # noqa: S324 - WeCom's


def _cipher(key):
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(message, encoding_aes_key, receiveid, random_prefix=None):
    """The base64 ciphertext of `message` (str) for `receiveid`."""
    key = aes_key(encoding_aes_key)
    prefix = random_prefix if random_prefix is not None else os.urandom(RANDOM_BYTES)
    if len(prefix) != RANDOM_BYTES:
        raise ValueError("the random prefix must be 16 bytes")
    body = message.encode("utf-8")
    plain = prefix + struct.pack(">I", len(body)) + body + receiveid.encode("utf-8")
    pad = PAD_BLOCK - len(plain) % PAD_BLOCK
    plain += bytes([pad]) * pad
    encryptor = _cipher(key).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def decrypt(encrypted, encoding_aes_key):
    """(message, receiveid) from a base64 ciphertext; MalformedCallback if it does not open."""
    key = aes_key(encoding_aes_key)
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedCallback("the ciphertext is not base64") from None
    if not raw or len(raw) % 16:
        raise MalformedCallback("the ciphertext is not a whole number of AES blocks")
    decryptor = _cipher(key).decryptor()
    plain = decryptor.update(raw) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= PAD_BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise MalformedCallback("bad padding (wrong EncodingAESKey?)")
    plain = plain[:-pad]
    if len(plain) < RANDOM_BYTES + 4:
        raise MalformedCallback("the plaintext is too short")
    (length,) = struct.unpack(">I", plain[RANDOM_BYTES : RANDOM_BYTES + 4])
    start = RANDOM_BYTES + 4
    if start + length > len(plain):
        raise MalformedCallback("the message length runs past the plaintext")
    try:
        message = plain[start : start + length].decode("utf-8")
        receiveid = plain[start + length :].decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedCallback("the plaintext is not UTF-8") from None
    return message, receiveid


def _parse_xml(text):
    """The text of each child of the root element. A DOCTYPE is refused outright: WeCom never
    sends one, and it is how entity-expansion attacks start."""
    if isinstance(text, bytes):
        if len(text) > MAX_BODY_BYTES:
            raise MalformedCallback("the body is too large")
        text = text.decode("utf-8", errors="replace")
    if len(text) > MAX_BODY_BYTES:
        raise MalformedCallback("the body is too large")
    if "<!" in text.replace("<![CDATA[", ""):
        raise MalformedCallback("declarations are not accepted")
    try:
        root = ET.fromstring(text)  # noqa: S314 - no DOCTYPE can reach here (checked above)
    except ET.ParseError:
        raise MalformedCallback("the body is not XML") from None
    return {child.tag: (child.text or "").strip() for child in root}


def parse_message(text):
    """The fields of a decrypted message, e.g. {"Event": "meeting_change", ...}."""
    return _parse_xml(text)


def _cdata(value):
    # "]]>" cannot appear inside CDATA; split it across two sections, as usual.
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(fields):
    """An XML message from {tag: value}, values CDATA-wrapped as WeCom writes them."""
    inner = "".join(f"<{tag}>{_cdata(value)}</{tag}>" for tag, value in fields.items())
    return f"<xml>{inner}</xml>"


class CallbackCrypto:
    def __init__(self, token, encoding_aes_key, receiveid, window=REPLAY_WINDOW_SECONDS):
        aes_key(encoding_aes_key)  # refuse an unusable key at once, not at the first call
        self.token = token
        self.encoding_aes_key = encoding_aes_key
        self.receiveid = receiveid
        self.window = window

    def verify(self, msg_signature, timestamp, nonce, encrypted, now=None):
        """SignatureError or StaleTimestamp unless the request is WeCom's and recent."""
        expected = signature(self.token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, str(msg_signature or "").lower()):
            raise SignatureError("msg_signature does not match")
        try:
            sent = int(timestamp)
        except (TypeError, ValueError):
            raise StaleTimestamp("the timestamp is not a number") from None
        now = time.time() if now is None else now
        if abs(now - sent) > self.window:
            raise StaleTimestamp(f"the timestamp is {int(now - sent)} s away from now")

    def open(self, encrypted):
        message, receiveid = decrypt(encrypted, self.encoding_aes_key)
        if receiveid != self.receiveid:
            raise MalformedCallback("the message is for another corp")
        return message

    def _checked(self, query, encrypted, now, first_seen=None):
        missing = [k for k in ("msg_signature", "timestamp", "nonce") if not query.get(k)]
        if missing or not encrypted:
            raise MalformedCallback(f"missing {', '.join(missing) or 'the encrypted message'}")
        self.verify(query["msg_signature"], query["timestamp"], query["nonce"], encrypted, now)
        # The signature covers the timestamp, the nonce and the ciphertext: it names this very
        # request. It is remembered for as long as the timestamp check would still let it
        # through (the window on either side of now), so a copy sent again is refused.
        if first_seen is not None and not first_seen(
            str(query["msg_signature"]).lower(), 2 * self.window + 1
        ):
            raise Replayed("this signed request was received before")
        return self.open(encrypted)

    def open_echostr(self, query, now=None):
        """The plaintext to answer the URL handshake with (query already URL-decoded)."""
        return self._checked(query, query.get("echostr"), now)

    def open_event(self, query, body, now=None, first_seen=None):
        """The decrypted event's fields from a POST's query and XML body.

        `first_seen(signature, seconds)` is asked once the signature is verified: it is to
        remember the signature for `seconds` and answer whether it was new, atomically for
        every process that receives callbacks; when it answers False, Replayed is raised."""
        envelope = _parse_xml(body)
        return parse_message(self._checked(query, envelope.get("Encrypt"), now, first_seen))

    def seal(self, message, timestamp=None, nonce=None):
        """(encrypted, query) for sending `message`: the query has msg_signature, timestamp
        and nonce."""
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(8)
        encrypted = encrypt(message, self.encoding_aes_key, self.receiveid)
        query = {
            "msg_signature": signature(self.token, timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        return encrypted, query

    def seal_event(self, message, agent_id="", timestamp=None, nonce=None):
        """(query, body) of an event POST, as WeCom sends it."""
        encrypted, query = self.seal(message, timestamp, nonce)
        body = (
            f"<xml><ToUserName>{_cdata(self.receiveid)}</ToUserName>"
            f"<AgentID>{_cdata(agent_id)}</AgentID>"
            f"<Encrypt>{_cdata(encrypted)}</Encrypt></xml>"
        )
        return query, body


def meeting_change_xml(corp_id, meetingid, change_type, changed_by, create_time=None):
    """The decrypted form of a meeting_change event (modify_meeting / cancel_meeting, 99081).
    FromUserName is the member who made the change, a userid: these events come from a
    person editing the meeting, not from the system ("sys" is for events such as the
    directory's)."""
    return message_xml(
        {
            "ToUserName": corp_id,
            "FromUserName": changed_by,
            "CreateTime": int(time.time()) if create_time is None else create_time,
            "MsgType": "event",
            "Event": "meeting_change",
            "ChangeType": change_type,
            "MeetingId": meetingid,
        }
    )


__all__ = [
    "CallbackCrypto",
    "CallbackError",
    "MalformedCallback",
    "Replayed",
    "SignatureError",
    "StaleTimestamp",
    "decrypt",
    "encrypt",
    "is_encoding_aes_key",
    "meeting_change_xml",
    "signature",
]
