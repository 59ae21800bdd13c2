import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_logs_in_and_shows_the_meeting_list(page, admin_user, admin_password):
    page.goto("/")
    # Every page needs a login: the home page sends a stranger to the login form.
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", admin_user.username)
    page.fill("input[name=password]", admin_password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.locator("h1").inner_text() == "会议"
    assert page.locator(".topbar .who").inner_text() == admin_user.username


def test_it_refuses_a_wrong_password_with_a_message(page, admin_user):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", admin_user.username)
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "/accounts/login/" in page.url
    assert page.locator("[role=alert]").is_visible()
