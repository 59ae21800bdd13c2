"""The embedded broker: a worker polling its folder never takes a message half written."""

from queue import Empty

from kombu import Connection

import config  # noqa: F401 - registers the embedded broker for filesystem://
from config import broker


def test_a_message_is_invisible_until_it_is_whole(tmp_path, monkeypatch):
    folder = str(tmp_path)
    options = {"data_folder_in": folder, "data_folder_out": folder, "store_processed": False}
    with Connection("filesystem://", transport_options=options) as connection:
        assert isinstance(connection.transport, broker.Transport)
        channel = connection.channel()
        seen_while_writing = []
        encode = broker.dumps

        def encode_while_a_worker_polls(message):
            try:
                seen_while_writing.append(channel._get("celery"))
            except Empty:
                seen_while_writing.append(None)
            return encode(message)

        monkeypatch.setattr(broker, "dumps", encode_while_a_worker_polls)
        channel._put("celery", {"body": "会议"})

        assert seen_while_writing == [None]
        assert channel._get("celery") == {"body": "会议"}
        assert not list(tmp_path.iterdir())
