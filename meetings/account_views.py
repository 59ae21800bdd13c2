"""The signed-in person's own account: their roles and the WeCom userid the app's messages go
to, with what WeCom last answered about it. Read-only here: the userid is set by an operator
(grant_role --wecom-userid) or a superuser (the admin's user page)."""

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import Account


class AuthenticatedRequest(HttpRequest):
    # LoginRequiredMiddleware lets no anonymous request reach this page.
    user: User


@require_GET
def account_page(request: AuthenticatedRequest) -> HttpResponse:
    account = Account.objects.filter(user=request.user).first()
    return render(
        request,
        "meetings/account.html",
        {
            "account": account,
            "roles": sorted(request.user.groups.values_list("name", flat=True)),
            "messages_on": settings.WECOM_MESSAGES,
        },
    )
