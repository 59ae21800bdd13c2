from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wecom.sandbox.server import SandboxServer


class Command(BaseCommand):
    help = (
        "Serve the WeCom sandbox (an emulator of the WeCom meeting and calendar API) until "
        "stopped with Ctrl-C. It answers with the WECOM_* credentials of the settings, so the "
        "app and the sandbox agree."
    )
    # The sandbox needs neither the database nor the app's models: it should start even
    # while they are broken, to be what the app is tested against.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument(
            "--port", type=int, default=None, help="port to listen on (default SANDBOX_PORT)"
        )
        parser.add_argument(
            "--state",
            default=None,
            help="JSON file that keeps meetings, calendars, directory and config across "
            "restarts, e.g. var/sandbox.json (default: kept in memory only)",
        )

    def handle(self, *args, **options):
        port = options["port"] if options["port"] is not None else settings.SANDBOX_PORT
        state_path = Path(options["state"]) if options["state"] else None
        try:
            server = SandboxServer(
                host=options["host"],
                port=port,
                corp_id=settings.WECOM_CORP_ID,
                secret=settings.WECOM_SECRET,
                agent_id=settings.WECOM_AGENT_ID,
                state_path=state_path,
            )
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{port}: {exc}") from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        kept = f", state in {state_path}" if state_path else ""
        self.stdout.write(f"WeCom sandbox on {server.url} (corp {settings.WECOM_CORP_ID}{kept})")
        self.stdout.write(f"Control API: {server.url}/__sandbox__/  Quit with CONTROL-C.")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Sandbox stopped.")
