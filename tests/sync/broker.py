"""Broker housekeeping for the test sessions and the benchmark, which use queues of their own."""

from pathlib import Path

from kombu import Exchange, Queue

from config.celery import app


def purge(queue):
    """Delete a test queue with what is left in it (retries of the last tests) and its
    binding: nothing would ever consume it, and each session has a queue of its own."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        declared = Queue(queue, Exchange(queue, type="direct"), routing_key=queue)
        declared(channel).declare()
        declared(channel).delete()
        declared.exchange(channel).delete()
        control = conn.transport_options.get("control_folder")
        if conn.transport_cls == "filesystem" and control:
            # The filesystem transport keeps the emptied exchange table as a file.
            (Path(control) / f"{queue}.exchange").unlink(missing_ok=True)
