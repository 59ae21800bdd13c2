"""The errcode each broken rule is answered with: one table, read top to bottom.

Codes come from WeCom's global errcode page
(https://developer.work.weixin.qq.com/document/path/90313), cross-checked against go-workwx's
table generated from it (xen0n/go-workwx errcodes/mod.go) and summed up in docs/wecom.md.
Where the page offers a code for the rule, the most specific one is used; where it offers
none (a value of the wrong JSON type, a day number out of range), WeCom's catch-all 40058
"invalid parameter" stands in: the page names it for a body that is not JSON, a value too
long and a required value left empty. Where a rule could take one of several codes the
choice is noted beside it.
"""

RULES = {
    # --- credentials and the request itself -------------------------------------------------
    "corpid_invalid": (40013, "invalid corpid"),
    "secret_invalid": (40001, "invalid credential, corpsecret is wrong"),
    "token_missing": (41001, "access_token missing"),
    "token_invalid": (40014, "invalid access_token"),
    "token_expired": (42001, "access_token expired"),
    # 90313, 40058 cause 1: "json不合法" is answered with 40058, not 47001.
    "json_invalid": (40058, "invalid parameter, the body is not valid JSON"),
    "get_required": (43001, "require GET method"),
    "post_required": (43002, "require POST method"),
    # 40058 is also what every wrong JSON type, missing required field and too-long text
    # answers: the detail after the colon names the field.
    "param_invalid": (40058, "invalid parameter"),
    "text_too_long": (40058, "invalid parameter, text too long"),
    # --- members -----------------------------------------------------------------------------
    "userid_invalid": (40003, "invalid userid"),
    "userid_unknown": (60111, "userid not found"),
    # 90313: 400040, create's admin_userid missing or not a member who may hold meetings.
    "admin_required": (400040, "invalid admin_userid"),
    "invitees_over_cap": (400020, "too many invitees"),
    # --- the meeting's basic fields ----------------------------------------------------------
    "title_length": (400042, "invalid title length, 1 to 255 characters"),
    # Both-or-neither could be 40058 as well; 400223 "bad start or end" says more.
    "time_pair": (400223, "meeting_start and meeting_duration go together"),
    "time_required": (400223, "the start has passed: send meeting_start and meeting_duration"),
    "start_past": (400222, "meeting_start must be later than now"),
    "duration_range": (400035, "invalid meeting_duration, 300 to 86399 seconds"),
    # 98154: a location of at most 18 Chinese characters or 36 letters; 90313: 400237.
    "location_too_long": (400237, "location too long, at most 18 Chinese characters or 36 letters"),
    "calendar_unknown": (400036, "no permission on cal_id"),
    # --- settings ----------------------------------------------------------------------------
    "password_invalid": (400030, "invalid password, 4 to 6 digits"),
    # host_key, enable_enter_mute, watermark_type, auto_record_type and the
    # allow_unmute_self / mute_all pair share WeCom's "bad settings".
    "settings_invalid": (400031, "invalid settings"),
    "hosts_over_cap": (400027, "too many hosts, at most 10"),
    "host_not_invitee": (400029, "host is not an invitee"),
    "remind_scope_invalid": (400025, "invalid remind_scope"),
    "ring_user_not_invitee": (400037, "ring user is not an invitee"),
    # --- reminders ---------------------------------------------------------------------------
    "repeat_type_invalid": (400026, "invalid repeat type"),
    "custom_repeat_invalid": (400227, "invalid custom repeat, daily, weekly or monthly only"),
    "repeat_interval_invalid": (400033, "invalid repeat_interval"),
    # The table has no code for a day number out of range: 40058, not "bad settings"
    # (400031), since these are reminders.
    "repeat_days_invalid": (40058, "invalid parameter, repeat day out of range"),
    "repeat_until_invalid": (400032, "invalid repeat_until"),
    # 98154: at most 200 occurrences (monthly 50); 90313: 400228 for a count outside them.
    "repeat_count_invalid": (400228, "invalid repeat_until_count"),
    # --- the meeting as a whole --------------------------------------------------------------
    # Of 730005 / 730010 / 730011 / 90602, 730011 ("bad meetingid") is the one that says the
    # meeting is simply unknown to this app.
    "meeting_unknown": (730011, "invalid meetingid"),
    # 90313: 730003 for a sub_meetingid the meeting does not have (98153 cancel, 98149
    # get_info), 730004 for a meeting_code that names no meeting (98149).
    "sub_meeting_unknown": (730003, "invalid sub_meetingid"),
    "meeting_code_unknown": (730004, "invalid meeting_code"),
    "meeting_cancelled": (400041, "meeting has been cancelled"),
    "meeting_started_update": (400221, "meeting in progress or ended, cannot update"),
    "meeting_started_cancel": (400224, "meeting in progress or ended, cannot cancel"),
    "duplicate_create": (
        400302,
        "meeting already created, set skip_duplicate_check to create it again",
    ),
    "create_in_progress": (400301, "the same meeting is being created, wait 5 minutes"),
    # --- calendars (oa/calendar/*, 93647 / 97716 / 97718; codes from 90313) --------------
    "cal_id_invalid": (90457, "invalid cal_id"),
    "calendar_deleted": (90459, "calendar has been deleted"),
    "color_invalid": (90473, "invalid color, #RRGGBB"),
    # --- app messages (message/send, 90236; codes from 90313) ------------------------------
    "agentid_invalid": (40056, "invalid agentid"),
    # 90313, 301002: an agentid other than the app the access_token belongs to.
    "agent_forbidden": (301002, "no privilege to access the agent"),
    "msgtype_invalid": (40008, "invalid message type"),
    "recipients_empty": (82001, "user & party & tag all empty"),
    "userid_list_too_long": (40032, "invalid userid list size, at most 1000"),
    "party_list_too_long": (82002, "invalid partyid list size, at most 100"),
    "tag_list_too_long": (82003, "invalid tagid list size, at most 100"),
    # 90236: "如果全部接收人无权限或不存在，则本次调用返回失败，errcode为81013".
    "recipients_invalid": (81013, "user & party & tag all invalid"),
    # 90454 (and 90236): each app may send each member at most 30 messages a minute and 1000
    # an hour; 45009 is 90313's "接口调用超过限制" (see messages.py for when it is answered).
    "member_freq_limited": (45009, "api freq out of limit"),
}

# Answers that no rule of the sandbox produces but a fault may inject (`kind: errcode`).
OTHER_ERRMSGS = {
    -1: "system busy",
    6000: "data version conflict",
    40091: "secret is invalid",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    48002: "api forbidden",
    60011: "no privilege to access/modify contact/party/agent",
    60020: "not allow to access from your ip",
    400021: "userid out of the app's visible range",
    400034: "invalid meeting_start",
    400045: "quick meeting cannot be updated or cancelled",
    400226: "paid meeting add-on required",
    730005: "meeting does not belong to this app",
    730008: "meeting has been deleted",
    730010: "meeting was not created through the api",
    90602: "invalid meetingid",
}


def errmsg(errcode):
    """A short errmsg in WeCom's wording for any errcode, 0 included."""
    if errcode == 0:
        return "ok"
    for code, message in RULES.values():
        if code == errcode:
            return message
    return OTHER_ERRMSGS.get(errcode, "error")


class Reject(Exception):
    """A call that breaks the rule named `rule`; `detail` names the field or value at fault.
    `fields` are further answer fields some refusals carry (81013 names the invalid
    recipients)."""

    def __init__(self, rule, detail="", **fields):
        self.rule = rule
        self.errcode, message = RULES[rule]
        self.errmsg = f"{message}: {detail}" if detail else message
        self.fields = fields
        super().__init__(f"{self.errcode} {self.errmsg}")

    def answer(self):
        return {"errcode": self.errcode, "errmsg": self.errmsg, **self.fields}
