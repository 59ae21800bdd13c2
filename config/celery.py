import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# filesystem:// is the embedded broker, with messages written whole (config/broker.py).
TRANSPORT_ALIASES["filesystem"] = "config.broker:Transport"

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes every database connection before and after each task unless it
# is given a count of tasks to reuse one for: a new connection per task, which on PostgreSQL
# cost more CPU than the rest of a sync. The count is set out of reach, and around each task
# Django's own rule for a request applies instead: a connection is kept for DB_CONN_MAX_AGE
# seconds, and dropped once it is broken.
app.conf.CELERY_DB_REUSE_MAX = 2**62
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task=None, **kwargs):
    # A task run eagerly runs inside its caller's request or test, whose connection is the
    # caller's to keep.
    if task is not None and task.request.is_eager:
        return
    from django.db import close_old_connections

    close_old_connections()
