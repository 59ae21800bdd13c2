"""Pages for requests the site cannot answer as asked, in its own layout and language.

Django finds `404.html` and `500.html` by name; a refused CSRF check comes here through
`CSRF_FAILURE_VIEW`, so that its page is drawn with the request (the header, the signed-in
person) rather than Django's technical one. Django has no page for a 405 (an address that
takes a button's POST, opened as a page: a bookmarked log-out, say): the middleware below
draws one."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # `reason` is for developers (Django logs it): the page says what to do instead.
    return render(request, "403_csrf.html", status=403)


def method_not_allowed(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware: Django's empty 405 answer drawn as a page of the site, its Allow kept."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.status_code != 405 or response.content or getattr(request, "htmx", False):
            return response
        page = render(request, "405.html", status=405)
        page["Allow"] = response.get("Allow", "")
        return page

    return middleware
