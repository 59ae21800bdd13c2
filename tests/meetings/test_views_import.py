import pytest
from django.urls import reverse

from meetings.models import Meeting, SyncState
from tests.meetings.factories import office_client

__all__ = ["office_client"]

pytestmark = pytest.mark.django_db

URL = reverse("meetings:import")


def test_it_imports_one_meeting_and_opens_it(office_client, sandbox):
    meetingid = sandbox.create_meeting(title="从企业微信导入")
    response = office_client.post(URL, {"meetingids": f"  {meetingid}\n"})
    assert response.status_code == 302
    meeting = Meeting.objects.get(meetingid=meetingid)
    assert response["Location"] == reverse("meetings:detail", args=[meeting.pk])
    assert meeting.title == "从企业微信导入"
    assert meeting.sync_state == SyncState.SYNCED


def test_it_keeps_the_good_ones_and_names_each_refused_id(office_client, sandbox):
    good = sandbox.create_meeting(title="能导入的会议")
    response = office_client.post(URL, {"meetingids": f"{good}, hy-unknown-meeting"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "hy-unknown-meeting" in page
    assert 'class="error"' in page
    # What was typed stays in the form.
    assert f"{good}, hy-unknown-meeting" in page
    assert Meeting.objects.filter(meetingid=good).exists()


def test_it_asks_for_at_least_one_id(office_client, sandbox):
    response = office_client.post(URL, {"meetingids": " , "})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not Meeting.objects.exists()


def test_it_imports_by_the_meeting_code_as_wecom_clients_show_it(office_client, sandbox):
    meetingid = sandbox.create_meeting(title="按会议号导入")
    code = sandbox.meeting(meetingid)["meeting_code"]
    spaced = f"{code[:3]} {code[3:6]} {code[6:]}"
    response = office_client.post(URL, {"meetingids": spaced})
    assert response.status_code == 302
    meeting = Meeting.objects.get(meetingid=meetingid)
    assert meeting.meeting_code == code
    assert meeting.title == "按会议号导入"
    assert sandbox.requests("meeting/get_info")[-1]["body"] == {"meeting_code": code}


def test_it_names_a_meeting_code_wecom_does_not_know(office_client, sandbox):
    response = office_client.post(URL, {"meetingids": "987-654-321"})
    assert response.status_code == 200
    assert "987654321" in response.content.decode()
    assert not Meeting.objects.exists()
