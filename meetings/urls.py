from django.urls import path, register_converter

from . import (
    account_views,
    agenda_views,
    batch_views,
    calendar_views,
    import_views,
    people_views,
    sync_views,
    views,
)
from .bounds import RowId
from .text import TextSegment

# Text path parameters use this converter, not "str": a segment holding a NUL or another
# control character is no WeCom ID, so it is a 404 before any view or query sees it.
register_converter(TextSegment, "text")
# Ids use this one, not "int": digits beyond the database's integers name no row, so they are a
# 404 too, rather than a query the database refuses.
register_converter(RowId, "id")

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("import/", views.meeting_import, name="import"),
    path("import/<text:job>/", import_views.import_progress, name="import_progress"),
    path("agenda/", agenda_views.agenda_page, name="agenda"),
    path("meetings/new/", views.meeting_new, name="new"),
    path("meetings/<id:pk>/", views.meeting_detail, name="detail"),
    path("meetings/<id:pk>/edit/", views.meeting_edit, name="edit"),
    path("meetings/<id:pk>/cancel/", views.meeting_cancel, name="cancel"),
    path("meetings/<id:pk>/sync/", sync_views.sync_panel, name="sync_panel"),
    path("meetings/<id:pk>/sync/status/", sync_views.sync_status, name="sync_status"),
    path("meetings/<id:pk>/sync/retry/", sync_views.sync_retry, name="sync_retry"),
    path("meetings/<id:pk>/sync/resolve/", sync_views.sync_resolve, name="sync_resolve"),
    path("attention/", sync_views.attention, name="attention"),
    path("batches/", batch_views.batch_list, name="batches"),
    path("batches/new/", batch_views.batch_new, name="batch_new"),
    path("batches/<id:pk>/", batch_views.batch_progress, name="batch"),
    path("batches/<id:pk>/change/", batch_views.batch_change, name="batch_change"),
    path("batches/<id:pk>/preview/", batch_views.batch_preview, name="batch_preview"),
    path("batches/<id:pk>/summary/", batch_views.batch_summary, name="batch_summary"),
    path("batches/<id:pk>/confirm/", batch_views.batch_confirm, name="batch_confirm"),
    path("account/", account_views.account_page, name="account"),
    path("people/search/", people_views.people_search, name="people_search"),
    path("calendars/", calendar_views.calendar_list, name="calendars"),
    path("calendars/new/", calendar_views.calendar_new, name="calendar_new"),
    path("calendars/refresh/", calendar_views.calendar_refresh, name="calendar_refresh"),
    path("calendars/<text:cal_id>/edit/", calendar_views.calendar_edit, name="calendar_edit"),
    path("calendars/<text:cal_id>/delete/", calendar_views.calendar_delete, name="calendar_delete"),
]
