"""After a run that edits a password and a host key and syncs them to WeCom, none of the
secrets is anywhere in the record, the logs, the admin's pages or an error page."""

import json
import logging
from unittest import mock

import pytest
from django.urls import reverse

from meetings import importing, sync
from meetings.actions import meeting as meeting_actions
from meetings.models import AuditEvent, Meeting, SyncAttempt, SyncState
from tests.meetings.factories import form_data

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORDS = ("739146", "518273")
HOST_KEYS = ("604918", "927364")


def test_it_keeps_every_secret_out_of_the_record_logs_and_pages(
    sandbox, client_for, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    meeting, _ = importing.import_by_id(sandbox.create_meeting(title="董事会"))
    client = client_for("administrator")
    edit_url = reverse("meetings:edit", args=[meeting.pk])
    for password, host_key in zip(PASSWORDS, HOST_KEYS, strict=True):
        meeting.refresh_from_db()
        response = client.post(
            edit_url,
            form_data(
                meeting,
                **{
                    "settings-password": password,
                    "settings-enable_host_key": "on",
                    "settings-host_key": host_key,
                },
            ),
        )
        assert response.status_code == 302
        sync.reconcile(meeting.pk)
    meeting.refresh_from_db()
    assert meeting.sync_state == SyncState.SYNCED
    assert sandbox.meeting(meeting.meetingid)["settings"]["password"] == PASSWORDS[-1]
    secrets = {*PASSWORDS, *HOST_KEYS, sandbox.secret, *sandbox.sandbox.tokens}
    assert len(secrets) > 5  # at least one access_token was issued

    # A page that fails while the password is in the request: the 500 page and its log.
    settings.DEBUG = False
    client.raise_request_exception = False
    with mock.patch.object(meeting_actions, "edit_meeting", side_effect=RuntimeError("boom")):
        error = client.post(edit_url, form_data(meeting, **{"settings-password": "739146"}))
    assert error.status_code == 500

    auditor = client_for("superuser")
    admin_pages = (
        [
            auditor.get(reverse("admin:meetings_auditevent_change", args=[e.pk]))
            for e in AuditEvent.objects.all()
        ]
        + [
            auditor.get(reverse("admin:meetings_syncattempt_change", args=[a.pk]))
            for a in SyncAttempt.objects.all()
        ]
        + [
            auditor.get(reverse("admin:meetings_meeting_change", args=[meeting.pk])),
            auditor.get(reverse("admin:meetings_auditevent_changelist")),
            auditor.get(reverse("admin:meetings_auditevent_export")),
        ]
    )
    places = {
        "events": json.dumps(list(AuditEvent.objects.values()), default=str, ensure_ascii=False),
        "attempts": json.dumps(list(SyncAttempt.objects.values()), default=str, ensure_ascii=False),
        "logs": caplog.text,
        "error page": error.content.decode(),
        "admin": "".join(
            b"".join(p.streaming_content).decode() if p.streaming else p.content.decode()
            for p in admin_pages
        ),
    }
    assert AuditEvent.objects.filter(action="edit", meeting=meeting).count() == 2
    assert SyncAttempt.objects.filter(meetingid=meeting.meetingid, path="meeting/update").count()
    leaks = {
        (place, secret) for place, text in places.items() for secret in secrets if secret in text
    }
    assert leaks == set()
    assert Meeting.objects.get(pk=meeting.pk).settings.password == PASSWORDS[-1]
