import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_not_signed_in_switches_the_login_page_to_english_and_back(page):
    page.goto("/accounts/login/?next=/calendars/")
    assert page.locator("h1").inner_text() == "登录"

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("h1").inner_text() == "Log in"
    # Back where the visitor was, the page they were sent to log in for still remembered.
    assert "/accounts/login/" in page.url and "next=/calendars/" in page.url
    assert page.locator("select[name=language]").input_value() == "en"

    with page.expect_navigation():
        page.select_option("select[name=language]", "zh-hans")
    assert page.locator("h1").inner_text() == "登录"
