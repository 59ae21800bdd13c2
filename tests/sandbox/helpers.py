"""Small pieces shared by the sandbox tests."""

# Every demo member but zhangsan, the admin of the meetings these tests create.
OTHERS = [
    "lisi",
    "wangwu",
    "zhaoliu",
    "sunqi",
    "zhouba",
    "wujiu",
    "zhengshi",
    "chenyi",
    "linger",
    "liuyang",
    "yangfan",
    "huangli",
    "heyun",
    "gaoming",
]


class Later:
    """A time `seconds` after the sandbox's now, filled in when the body is sent."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __repr__(self):
        return f"now+{self.seconds}"


def resolve(value, now):
    if isinstance(value, Later):
        return now + value.seconds
    if isinstance(value, dict):
        return {key: resolve(item, now) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, now) for item in value]
    return value
