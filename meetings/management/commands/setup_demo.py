import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache.backends.locmem import LocMemCache
from django.core.management.base import BaseCommand
from django.urls import reverse

from meetings import demo, people
from meetings.actions import account as account_actions
from meetings.models import Meeting
from wecom.client import WeComClient
from wecom.sandbox.server import SandboxServer
from wecom.sandbox.state import Sandbox


class Command(BaseCommand):
    help = (
        "Prepare the local demo: an administrator account when there is no user yet, and a "
        "few demo meetings in the WeCom sandbox, imported, when the app has none."
    )

    def handle(self, *args, **options):
        self.create_administrator()
        if self.uses_local_sandbox():
            if not Meeting.objects.exists():
                self.seed_meetings()
            self.point_callbacks()

    def create_administrator(self):
        User = get_user_model()
        if User.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        # A meeting administrator (会议管理员), as the README's role table has them: the
        # meeting pages, no Django admin. grant_role gives the other roles.
        user = User.objects.create_user("admin", password=password)
        account_actions.grant_role(user, "administrator", actor=None)
        if self.uses_local_sandbox():
            # The sandbox's zhangsan, so that the app messages about the demo administrator's
            # changes show at /__sandbox__/messages.
            account_actions.set_wecom_userid(user, "zhangsan")
        # Shown this once only: the password is not stored anywhere readable.
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo meeting administrator created. Login: admin  Password: {password}\n"
                "For the audit record in /admin/: python manage.py grant_role <name> "
                "auditor --create"
            )
        )

    def uses_local_sandbox(self):
        return settings.WECOM_API_BASE.rstrip("/") == f"http://127.0.0.1:{settings.SANDBOX_PORT}"

    def point_callbacks(self):
        """Point the sandbox's callbacks at this app, as an operator points WeCom's at the
        app's URL (README, "In production"): a change made in the sandbox then reaches the
        demo as one made in WeCom would. Each start, since PORT may have moved."""
        path = settings.VAR_DIR / "sandbox.json"
        sandbox = Sandbox(
            settings.WECOM_CORP_ID,
            settings.WECOM_SECRET,
            settings.WECOM_AGENT_ID,
            state_path=path,
        )
        # The web process's port: `make run` hands honcho the same PORT.
        url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}{reverse('wecom_callback')}"
        sandbox.configure(
            {
                "callback_url": url,
                "callback_token": settings.WECOM_CALLBACK_TOKEN,
                "callback_aes_key": settings.WECOM_CALLBACK_AES_KEY,
            }
        )
        sandbox.save(path)

    def seed_meetings(self):
        # The sandbox process is not up yet (make run starts it next); a short-lived one on the
        # same state file creates the meetings, and the real one loads them from that file.
        server = SandboxServer(
            port=0,
            corp_id=settings.WECOM_CORP_ID,
            secret=settings.WECOM_SECRET,
            agent_id=settings.WECOM_AGENT_ID,
            # The file the Procfile's sandbox loads: $VAR_DIR/sandbox.json.
            state_path=settings.VAR_DIR / "sandbox.json",
        ).start()
        try:
            client = WeComClient(
                server.url,
                settings.WECOM_CORP_ID,
                settings.WECOM_SECRET,
                settings.WECOM_AGENT_ID,
                connect_timeout=5,
                read_timeout=15,
                # Its tokens die with this short-lived sandbox: keep them out of the shared cache.
                cache=LocMemCache("setup-demo", {}),
            )
            # The directory first, so that the pickers show the demo people by name.
            created, _updated, _skipped = people.upsert(
                people.sandbox_people(server.url), people.Source.SANDBOX
            )
            meetings = demo.seed(client)
        finally:
            server.stop()
        self.stdout.write(f"Demo: {created} people added to the directory from the sandbox.")
        self.stdout.write(f"Demo: {len(meetings)} meetings created in the sandbox and imported.")
