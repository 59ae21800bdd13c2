import pytest
from django.core.cache import cache

from wecom.client import WeComClient


@pytest.fixture
def make_client(sandbox):
    """Clients of the sandbox, each starting without a cached token.

    The cache outlives a test (the database cache's table is not flushed, Redis is not
    either), and tokens stored by an earlier test died with the sandbox's reset.
    """
    made = []
    # Nor a pause of an API after a 45009, or its call count (wecom/limits.py).
    cache.clear()

    def make(secret=None, *, base_url=None, connect_timeout=2, read_timeout=5, **limits):
        client = WeComClient(
            base_url or sandbox.url,
            sandbox.corp_id,
            sandbox.secret if secret is None else secret,
            sandbox.agent_id,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            **limits,
        )
        tokens = client.tokens
        cache.delete_many([tokens.key, tokens.lock_key, tokens.refusal_key])
        made.append(client)
        return client

    yield make
    for client in made:
        client.session.close()


@pytest.fixture
def wecom(make_client):
    return make_client()
