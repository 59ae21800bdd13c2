"""The embedded broker (CELERY_BROKER_URL=filesystem://): kombu's filesystem transport, with
each message written whole before a worker can see it.

kombu creates a message's file under its final name and then writes it, so a worker polling
the folder between the two takes an empty file, fails to decode it and stops ("Unrecoverable
error: JSONDecodeError"). Here the message is written under a name no queue reads and renamed
into place, which the filesystem does at once. config.celery registers this transport for
the "filesystem" scheme; every other scheme is kombu's own.
"""

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # kombu's own filesystem Channel._put, whose signature the stubs find at odds with the
    # virtual base's.
    def _put(  # type: ignore[override]
        self, queue: str, payload: dict[str, Any], **kwargs: Any
    ) -> None:
        # The name kombu's reader expects: "<ms>_<uuid>.<queue>.msg", oldest first.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A reader takes only names ending in ".<queue>.msg": not this one.
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
