from django.contrib import admin
from django.urls import include, path

from meetings import callback_views

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # WeCom's event callbacks; the URL set on the app's "receive messages" page.
    path("wecom/callback/", callback_views.wecom_callback, name="wecom_callback"),
    path("", include("meetings.urls")),
]
