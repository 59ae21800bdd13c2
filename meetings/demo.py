"""Demo meetings for a newcomer's first look: created in the sandbox through meeting/create,
exactly as WeCom would hold them, then imported like any real meeting."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from .importing import import_by_id

ORGANISER = "zhangsan"


def _at(days_ahead, hour, minute=0, weekday=None):
    today = timezone.localdate()
    day = today + timedelta(days=days_ahead)
    if weekday is not None:
        day = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    return int(timezone.make_aware(datetime.combine(day, time(hour, minute))).timestamp())


def demo_bodies():
    """meeting/create bodies, relative to today so that the demo always lies ahead."""
    return [
        {
            "title": "周一产品例会",
            "meeting_start": _at(0, 10, weekday=0),
            "meeting_duration": 3600,
            "description": "每周回顾需求进展与风险。",
            "location": "3楼大会议室",
            "invitees": {"userid": ["lisi", "wangwu", "zhaoliu", "sunqi"]},
            "settings": {
                "enable_waiting_room": True,
                "enable_enter_mute": 2,
                "hosts": {"userid": ["lisi"]},
                "remind_scope": 2,
            },
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 1,
                "repeat_until_type": 1,
                "repeat_until_count": 12,
                "remind_before": [900],
            },
        },
        {
            "title": "季度业务复盘",
            "meeting_start": _at(8, 14),
            "meeting_duration": 7200,
            "description": "第三季度各部门业务数据复盘，请提前准备材料。",
            "invitees": {"userid": ["lisi", "wangwu", "zhouba", "wujiu"]},
            "settings": {
                "password": "246810",
                "auto_record_type": "cloud",
                "attendee_join_auto_record": False,
                "enable_host_pause_auto_record": True,
                "enable_screen_watermark": True,
                "watermark_type": 1,
                "allow_external_user": False,
                "remind_scope": 3,
            },
            "reminders": {"remind_before": [0, 3600]},
        },
        {
            "title": "新员工入职培训",
            "meeting_start": _at(0, 15, weekday=1),
            "meeting_duration": 5400,
            "location": "培训室A",
            "invitees": {"userid": ["wangwu", "zhengshi", "chenyi", "linger"]},
            "settings": {
                "remind_scope": 4,
                "ring_users": {"userid": ["zhengshi", "chenyi"]},
                "enable_host_key": True,
                "host_key": "135790",
            },
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 1,
                "is_custom_repeat": 1,
                "repeat_interval": 1,
                "repeat_day_of_week": [2, 4],
                "repeat_until_type": 1,
                "repeat_until_count": 8,
                "remind_before": [300],
            },
        },
        {
            "title": "月度全员大会",
            "meeting_start": _at(12, 16),
            "meeting_duration": 3600,
            "invitees": {"userid": ["lisi", "wangwu", "zhaoliu", "sunqi", "zhouba", "wujiu"]},
            "settings": {
                "allow_unmute_self": False,
                "mute_all": True,
                "enable_enter_mute": 1,
                "remind_scope": 3,
            },
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 2,
                "repeat_until_type": 0,
                "remind_before": [86400],
            },
        },
        {
            "title": "客户需求评审",
            "meeting_start": _at(1, 14, 30),
            "meeting_duration": 2700,
            "location": "线上",
            "invitees": {"userid": ["lisi", "sunqi"]},
            "settings": {"enable_waiting_room": False, "remind_scope": 2},
        },
        {
            "title": "研发每日站会",
            "meeting_start": _at(1, 9, 30),
            "meeting_duration": 900,
            "invitees": {"userid": ["lisi", "wangwu", "zhaoliu"]},
            "settings": {"remind_scope": 1},
            "reminders": {
                "is_repeat": 1,
                "repeat_type": 7,
                "repeat_until_type": 1,
                "repeat_until_count": 40,
            },
        },
    ]


def seed(client):
    """Create the demo meetings through `client` and import each. Returns the meetings."""
    meetings = []
    for body in demo_bodies():
        answer = client.meeting_create({"admin_userid": ORGANISER, **body})
        meeting, _created = import_by_id(answer["meetingid"], client=client)
        meetings.append(meeting)
    return meetings
