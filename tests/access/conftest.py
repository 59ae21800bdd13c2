"""People in each role, signed in: an administrator (会议管理员), an auditor (审计员) and a
superuser, given their roles the way an operator does, with grant_role."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from meetings.actions import account as account_actions


def person(username, role=None, **fields):
    user = get_user_model().objects.create_user(username, password="correct-horse-9", **fields)
    if role:
        account_actions.grant_role(user, role)
    return user


@pytest.fixture
def people(db):
    return {
        "anonymous": None,
        "administrator": person("wang.admin", "administrator"),
        "auditor": person("li.audit", "auditor"),
        "superuser": person("root", "superuser"),
    }


@pytest.fixture
def client_for(people):
    def make(role, **kwargs):
        client = Client(**kwargs)
        if people[role] is not None:
            client.force_login(people[role])
        return client

    return make
