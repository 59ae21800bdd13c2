"""The people directory: filled from the console's member export, from imported meetings and
from the sandbox; searched by the pickers; shown by name beside the edit page's lists."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from meetings import people
from meetings.models import Person
from tests.meetings.factories import as_post, form_data, make_meeting, office_client

pytestmark = pytest.mark.django_db
__all__ = ["office_client"]

# The columns of the WeCom admin console's member export (通讯录 → 导出成员), shortened.
CONSOLE_EXPORT = (
    "姓名,账号,别名,职务,部门,性别,手机,企业邮箱\n"
    "张三,zhangsan,,产品经理,产品部,男,13800000001,zhangsan@example.com\n"
    "李四,lisi,,工程师,研发部,男,13800000002,lisi@example.com\n"
    "王五,wangwu,,工程师,研发部;市场部,男,13800000003,\n"
)


@pytest.fixture
def editor(office_client):
    office_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return office_client


def write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "members.csv"
    path.write_bytes(text.encode(encoding))
    return path


def import_people(path):
    from io import StringIO

    out = StringIO()
    call_command("import_people", str(path), stdout=out)
    return out.getvalue()


def names():
    return {p.userid: (p.name, p.department) for p in Person.objects.all()}


def test_it_imports_the_consoles_member_export_with_a_bom(tmp_path):
    output = import_people(write(tmp_path, CONSOLE_EXPORT, encoding="utf-8-sig"))

    assert names() == {
        "zhangsan": ("张三", "产品部"),
        "lisi": ("李四", "研发部"),
        "wangwu": ("王五", "研发部;市场部"),
    }
    assert set(Person.objects.values_list("source", flat=True)) == {"csv"}
    assert "3 added" in output


def test_it_reads_a_gb18030_export_with_a_title_line_and_english_headers(tmp_path):
    text = "成员列表\nuserid,name,department\nzhaoliu,赵六,市场部\n"
    import_people(write(tmp_path, text, encoding="gb18030"))

    assert names() == {"zhaoliu": ("赵六", "市场部")}


def test_it_updates_people_by_userid_and_skips_malformed_userids(tmp_path):
    Person.objects.create(userid="lisi", name="", source="meeting")
    Person.objects.create(userid="zhangsan", name="张三", department="旧部门", source="csv")
    text = "姓名,账号,部门\n李四,lisi,研发部\n,zhangsan,产品部\n坏人,bad id!,研发部\n"
    output = import_people(write(tmp_path, text))

    # A blank name in the file does not erase a known one.
    assert names() == {"lisi": ("李四", "研发部"), "zhangsan": ("张三", "产品部")}
    assert "0 added, 2 updated" in output
    assert "1 skipped" in output


def test_it_refuses_a_file_without_a_userid_column(tmp_path):
    with pytest.raises(CommandError, match="no userid column"):
        import_people(write(tmp_path, "姓名,部门\n张三,产品部\n"))
    assert not Person.objects.exists()


def test_it_finds_people_by_name_userid_or_department(editor):
    Person.objects.create(userid="zhangsan", name="张三", department="产品部", source="csv")
    Person.objects.create(userid="lisi", name="李四", department="研发部", source="csv")
    Person.objects.create(userid="Wangwu", name="王五", department="研发部", source="csv")
    url = reverse("meetings:people_search")

    by_name = editor.get(url, {"q": "张", "for": "invitees"}).content.decode()
    assert 'data-userid="zhangsan"' in by_name and "张三" in by_name and "产品部" in by_name
    assert "lisi" not in by_name

    by_department = editor.get(url, {"q": "研发", "for": "settings-hosts"}).content.decode()
    assert 'data-userid="lisi"' in by_department and 'data-userid="Wangwu"' in by_department
    assert 'data-for="settings-hosts"' in by_department

    by_userid = editor.get(url, {"q": "WANGWU", "for": "invitees"}).content.decode()
    assert 'data-userid="Wangwu"' in by_userid

    nobody = editor.get(url, {"q": "nobody", "for": "invitees"}).content.decode()
    assert "Nobody in the directory matches." in nobody


def test_it_returns_at_most_ten_matches():
    Person.objects.bulk_create(
        [Person(userid=f"user{n}", name=f"同事{n}", source="csv") for n in range(15)]
    )
    assert len(people.search("同事")) == 10


def test_it_needs_the_view_permission_to_search(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="unused-9x"))
    response = client.get(reverse("meetings:people_search"), {"q": "张", "for": "invitees"})
    assert response.status_code == 403


def test_it_shows_names_beside_the_userids_and_flags_unknown_ones(editor):
    Person.objects.create(userid="lisi", name="李四", department="研发部", source="csv")
    meeting = make_meeting(invitees=["lisi", "stranger"], settings={"hosts": ["lisi"]})

    page = editor.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()

    invitees = page[page.index('id="people-invitees"') :]
    invitees = invitees[: invitees.index("</ul>")]
    assert "李四" in invitees and "(lisi)" in invitees and "研发部" in invitees
    assert "stranger" in invitees and "not in the directory" in invitees
    hosts = page[page.index('id="people-settings-hosts"') :]
    assert "李四" in hosts[: hosts.index("</ul>")]
    # The textarea still holds the userids: the form works without JavaScript.
    assert 'name="invitees"' in page and "lisi, stranger" in page


def test_a_chips_remove_button_names_the_person_escaped_once(editor):
    Person.objects.create(userid="lisi", name='李"四<&>', source="csv")
    meeting = make_meeting(invitees=["lisi", "stranger"])

    page = editor.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()

    assert 'aria-label="Remove 李&quot;四&lt;&amp;&gt;"' in page
    assert 'aria-label="Remove stranger"' in page


def test_it_redraws_the_names_when_a_userid_is_typed(editor):
    Person.objects.create(userid="zhaoliu", name="赵六", department="市场部", source="csv")
    meeting = make_meeting(invitees=["lisi"])
    data = form_data(meeting, _render="people", invitees="lisi, zhaoliu, not valid!")

    response = editor.post(
        reverse("meetings:edit", args=[meeting.pk]), as_post(data), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response["HX-Retarget"] == "#fs-people"
    assert "赵六" in html and "市场部" in html
    assert "not a valid userid" in html


def test_it_refuses_to_save_a_malformed_userid_typed_by_hand(editor):
    meeting = make_meeting(invitees=["lisi"])
    data = form_data(meeting, invitees="lisi, 张 三")

    response = editor.post(reverse("meetings:edit", args=[meeting.pk]), as_post(data))

    assert response.status_code == 200
    assert "has-error" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.invitees == ["lisi"]


def test_it_saves_a_person_typed_by_name_as_their_userid(editor):
    Person.objects.create(userid="wangwu", name="王五", source="csv")
    meeting = make_meeting(invitees=["lisi"])
    data = form_data(meeting, invitees="lisi，王五")

    response = editor.post(reverse("meetings:edit", args=[meeting.pk]), as_post(data))

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.invitees == ["lisi", "wangwu"]


def test_it_asks_which_one_when_a_typed_name_names_several_people(editor):
    Person.objects.create(userid="wangwu", name="王五", source="csv")
    Person.objects.create(userid="wangwu2", name="王五", source="csv")
    meeting = make_meeting(invitees=["lisi"])
    data = form_data(meeting, invitees="lisi 王五")

    response = editor.post(reverse("meetings:edit", args=[meeting.pk]), as_post(data))

    assert response.status_code == 200
    assert "Several people are named 王五" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.invitees == ["lisi"]


def test_it_adds_the_userids_of_an_imported_meeting_without_erasing_names(sandbox):
    Person.objects.create(userid="lisi", name="李四", department="研发部", source="csv")
    meetingid = sandbox.create_meeting(
        invitees={"userid": ["lisi", "wangwu", "zhaoliu", "sunqi"]},
        settings={
            "hosts": {"userid": ["zhaoliu"]},
            "remind_scope": 4,
            "ring_users": {"userid": ["sunqi"]},
        },
    )
    call_command("wecom_import", meetingid)

    known = names()
    assert known["lisi"] == ("李四", "研发部")
    assert {"wangwu", "zhaoliu", "sunqi"} <= set(known)
    assert Person.objects.get(userid="wangwu").source == "meeting"


def test_it_reads_the_sandbox_directory_with_names(sandbox):
    created, _updated, _skipped = people.upsert(
        people.sandbox_people(sandbox.url), people.Source.SANDBOX
    )

    assert created >= 10
    assert names()["zhangsan"] == ("张三", "产品部")
