from django.urls import path

from . import sync_views, views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("import/", views.meeting_import, name="import"),
    path("meetings/<str:meetingid>/", views.meeting_detail, name="detail"),
    path("meetings/<str:meetingid>/edit/", views.meeting_edit, name="edit"),
    path("meetings/<str:meetingid>/sync/", sync_views.sync_panel, name="sync_panel"),
    path("meetings/<str:meetingid>/sync/status/", sync_views.sync_status, name="sync_status"),
    path("meetings/<str:meetingid>/sync/retry/", sync_views.sync_retry, name="sync_retry"),
    path("meetings/<str:meetingid>/sync/resolve/", sync_views.sync_resolve, name="sync_resolve"),
]
