"""The import page: meetings brought in by ID in the background, each one's progress shown
as it stands (here with Celery running the tasks at once; tests/sync has the real worker)."""

import pytest
from django.urls import reverse

from config.celery import app
from meetings.models import Meeting, SyncState
from tests.meetings.factories import office_client

__all__ = ["office_client"]

pytestmark = pytest.mark.django_db

URL = reverse("meetings:import")


@pytest.fixture
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def rows(page):
    import re

    return dict(re.findall(r'data-meetingid="([^"]+)" data-state="([^"]+)"', page))


def test_it_imports_one_meeting_and_links_to_it(office_client, sandbox, eager):
    meetingid = sandbox.create_meeting(title="从企业微信导入")
    response = office_client.post(URL, {"meetingids": f"  {meetingid}\n"})
    assert response.status_code == 302
    page = office_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    meeting = Meeting.objects.get(meetingid=meetingid)
    assert rows(page) == {meetingid: "imported"}
    assert f'href="{reverse("meetings:detail", args=[meeting.pk])}"' in page
    assert "Finished." in page and 'hx-trigger="every 1s"' not in page
    assert meeting.title == "从企业微信导入"
    assert meeting.sync_state == SyncState.SYNCED


def test_it_keeps_the_good_ones_and_says_which_wecom_does_not_know(office_client, sandbox, eager):
    good = sandbox.create_meeting(title="能导入的会议")
    response = office_client.post(URL, {"meetingids": f"{good}, hy-unknown-meeting"})
    page = office_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = page.content.decode()
    assert rows(page) == {good: "imported", "hy-unknown-meeting": "not_found"}
    assert "未找到" in page
    assert Meeting.objects.filter(meetingid=good).exists()


def test_it_tries_again_when_wecom_does_not_answer_and_says_when_it_gave_up(
    office_client, sandbox, eager, settings
):
    settings.SYNC_BACKOFF_BASE = 0.01
    settings.SYNC_MAX_TRIES = 3
    settings.WECOM_READ_TIMEOUT = 1
    busy = sandbox.create_meeting(title="繁忙")
    late = sandbox.create_meeting(title="稍后")
    sandbox.fault(path="meeting/get_info", kind="errcode", value=-1, times=4)
    response = office_client.post(URL, {"meetingids": f"{late}\n{busy}"})
    page = office_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Three busy answers for the first, then the fourth for the second, then WeCom answers.
    assert rows(page) == {late: "gave_up", busy: "imported"}
    assert "WeCom did not answer in 3 tries." in page


def test_a_progress_page_is_its_starters_alone(
    office_client, sandbox, eager, client, django_user_model
):
    meetingid = sandbox.create_meeting()
    progress = office_client.post(URL, {"meetingids": meetingid})["Location"]
    other = django_user_model.objects.create_superuser("other", password="x-unused-9")
    client.force_login(other)
    assert client.get(progress).status_code == 404
    assert client.get(reverse("meetings:import_progress", args=["nojob"])).status_code == 404


def test_it_asks_for_at_least_one_id(office_client, sandbox):
    response = office_client.post(URL, {"meetingids": " , "})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not Meeting.objects.exists()


def test_it_imports_by_the_meeting_code_as_wecom_clients_show_it(office_client, sandbox, eager):
    meetingid = sandbox.create_meeting(title="按会议号导入")
    code = sandbox.meeting(meetingid)["meeting_code"]
    spaced = f"{code[:3]} {code[3:6]} {code[6:]}"
    response = office_client.post(URL, {"meetingids": spaced})
    assert response.status_code == 302
    page = office_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert rows(page) == {code: "imported"}
    meeting = Meeting.objects.get(meetingid=meetingid)
    assert meeting.meeting_code == code
    assert meeting.title == "按会议号导入"
    assert sandbox.requests("meeting/get_info")[0]["body"] == {"meeting_code": code}


def test_it_imports_a_meeting_code_copied_with_its_label(office_client, sandbox, eager):
    meetingid = sandbox.create_meeting(title="复制来的会议号")
    code = sandbox.meeting(meetingid)["meeting_code"]
    copied = f"会议号：{code[:3]} {code[3:6]} {code[6:]}"
    response = office_client.post(URL, {"meetingids": copied})
    assert response.status_code == 302
    assert Meeting.objects.get(meetingid=meetingid).meeting_code == code


def test_it_refuses_words_that_are_no_meeting_beside_the_field(office_client, sandbox):
    response = office_client.post(
        URL, {"meetingids": "明天的例会\n123456789"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "“明天的例会”: neither a meeting code nor a meeting ID." in page
    # What was typed is kept, and WeCom was not asked.
    assert "明天的例会" in page.split("<textarea", 1)[1]
    assert sandbox.requests("meeting/get_info") == []


def test_it_imports_the_meeting_of_an_invitation_pasted_whole(office_client, sandbox, eager):
    meetingid = sandbox.create_meeting(title="产品评审")
    code = sandbox.meeting(meetingid)["meeting_code"]
    invitation = (
        "张三邀请您参加企业微信会议\n会议主题：产品评审\n"
        "会议时间：2026/12/02 10:00-10:30 (GMT+08:00)\n"
        "点击链接入会：https://meeting.tencent.com/dm/XuSt66GRwUKx\n"
        f"#企业微信会议：{code[:3]}-{code[3:6]}-{code[6:]}"
    )
    response = office_client.post(URL, {"meetingids": invitation})
    assert response.status_code == 302
    assert Meeting.objects.get(meetingid=meetingid).meeting_code == code
    assert len(sandbox.requests("meeting/get_info")) == 1


def test_it_says_what_a_link_or_a_miscounted_code_is_without_asking_wecom(office_client, sandbox):
    typed = "https://meeting.tencent.com/dm/XuSt66GRwUKx 81233072 8123307234"
    page = office_client.post(
        URL, {"meetingids": typed}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "“https://meeting.tencent.com/dm/XuSt66GRwUKx”: a meeting link" in page
    assert "“81233072”、“8123307234”: a meeting code has 9 digits." in page
    assert sandbox.requests("meeting/get_info") == []


def test_it_names_a_meeting_code_wecom_does_not_know(office_client, sandbox, eager):
    response = office_client.post(URL, {"meetingids": "987-654-321"})
    page = office_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert rows(page) == {"987654321": "not_found"}
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "WeCom did not answer yet (2 tries)."), ("zh-hans", "企业微信尚未应答（已尝试2次）。")],
)
def test_it_says_it_is_still_trying_while_wecom_has_not_answered(
    office_client, sandbox, language, words, monkeypatch
):
    from meetings import import_jobs

    # Queued but not run: the progress is what a worker would have written meanwhile.
    monkeypatch.setattr(import_jobs.import_one, "delay", lambda *args: None)
    progress = office_client.post(URL, {"meetingids": "hy-slow"})["Location"]
    job = progress.rstrip("/").rsplit("/", 1)[1]
    import_jobs._put(job, 0, meetingid="hy-slow", state=import_jobs.STILL_TRYING, tries=2)
    page = office_client.get(progress, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert rows(page) == {"hy-slow": "still_trying"}
    assert words in page
    assert 'hx-trigger="every 1s"' in page
