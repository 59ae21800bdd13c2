import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get(reverse("meetings:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_shows_the_login_page_in_chinese_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_it_shows_the_login_page_in_english_on_request(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in" in response.content.decode()


def test_it_serves_the_bundled_htmx_and_no_cdn(admin_client):
    page = admin_client.get(reverse("meetings:list")).content.decode()
    assert "/static/django_htmx/htmx" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
