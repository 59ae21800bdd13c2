"""The members the sandbox's app can see: a small demo company, replaceable at will."""

import re

# WeCom's userid: 1 to 64 of letters, digits and _-@. (doc 90195, "成员UserID").
USERID = re.compile(r"[A-Za-z0-9_\-@.]{1,64}")

DEMO_PEOPLE = (
    ("zhangsan", "张三", "产品部"),
    ("lisi", "李四", "研发部"),
    ("wangwu", "王五", "研发部"),
    ("zhaoliu", "赵六", "市场部"),
    ("sunqi", "孙七", "市场部"),
    ("zhouba", "周八", "行政部"),
    ("wujiu", "吴九", "财务部"),
    ("zhengshi", "郑十", "人力资源部"),
    ("chenyi", "陈一", "研发部"),
    ("linger", "林二", "行政部"),
    ("liuyang", "刘洋", "销售部"),
    ("yangfan", "杨帆", "产品部"),
    ("huangli", "黄丽", "财务部"),
    ("heyun", "何芸", "人力资源部"),
    ("gaoming", "高明", "研发部"),
    ("luoxia", "罗霞", "市场部"),
    ("songtao", "宋涛", "销售部"),
    ("tangwei", "唐伟", "研发部"),
    ("xuqing", "许晴", "产品部"),
    ("maojun", "毛军", "行政部"),
)


def demo_directory():
    """userid -> person, in the demo's order."""
    return {
        userid: {"userid": userid, "name": name, "department": department}
        for userid, name, department in DEMO_PEOPLE
    }


def department_id(directory, userid):
    """The id of the member's department, as get_info's main_department (98149) carries it:
    1 is the company itself, and each department named in the directory takes the next
    number in order of first appearance."""
    named = (person["department"] for person in directory.values() if person["department"])
    departments = list(dict.fromkeys(named))
    person = directory.get(userid)
    if person is None or not person["department"]:
        return 1
    return departments.index(person["department"]) + 2


def is_userid(value):
    return isinstance(value, str) and USERID.fullmatch(value) is not None


def directory_from(payload):
    """The directory that POST /__sandbox__/users describes, or ValueError saying why not.

    Accepts {"userids": [...]} (names default to the userid) or
    {"users": [{"userid", "name", "department"}, ...]}.
    """
    if not isinstance(payload, dict):
        raise ValueError("expected a JSON object")
    if "users" in payload:
        people = payload["users"]
        if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
            raise ValueError("users must be a list of objects")
    elif "userids" in payload:
        if not isinstance(payload["userids"], list):
            raise ValueError("userids must be a list")
        people = [{"userid": userid} for userid in payload["userids"]]
    else:
        raise ValueError("send userids or users")
    directory = {}
    for person in people:
        userid = person.get("userid")
        if not is_userid(userid):
            raise ValueError(f"not a WeCom userid: {userid!r}")
        name = person.get("name", userid)
        department = person.get("department", "")
        if not isinstance(name, str) or not isinstance(department, str):
            raise ValueError(f"name and department of {userid} must be strings")
        directory[userid] = {"userid": userid, "name": name, "department": department}
    return directory
