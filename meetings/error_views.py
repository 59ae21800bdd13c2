"""Pages for requests the site cannot answer as asked, in its own layout and language.

Django finds `404.html` and `500.html` by name; a refused CSRF check comes here through
`CSRF_FAILURE_VIEW`, so that its page is drawn with the request (the header, the signed-in
person) rather than Django's technical one."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # `reason` is for developers (Django logs it): the page says what to do instead.
    return render(request, "403_csrf.html", status=403)
