"""Log-in sessions: kept in the database, and read from Redis when the cache is Redis
(config/settings.py), so that neither a log-out nor a lost cache leaves them wrong."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_session_logged_out_is_refused_to_a_copy_of_its_cookie(client_for):
    client = client_for("administrator")
    copy = Client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert copy.get(reverse("meetings:list")).status_code == 200

    client.post(reverse("logout"))

    assert copy.get(reverse("meetings:list")).status_code == 302


def test_a_session_outlives_the_cache(client_for):
    client = client_for("administrator")

    cache.clear()

    assert client.get(reverse("meetings:list")).status_code == 200
