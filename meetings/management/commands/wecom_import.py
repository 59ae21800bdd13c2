from django.core.management.base import BaseCommand, CommandError

from meetings.importing import import_by_id
from wecom.errors import WeComError


class Command(BaseCommand):
    help = "Import meetings from WeCom by meeting ID (meeting/get_info)."

    def add_arguments(self, parser):
        parser.add_argument("meetingids", nargs="+", metavar="meetingid")

    def handle(self, *args, meetingids, **options):
        failed = 0
        for meetingid in meetingids:
            try:
                meeting, created = import_by_id(meetingid)
            except WeComError as exc:
                failed += 1
                self.stderr.write(f"{meetingid}: {exc.message} ({exc.errcode})")
                continue
            verb = "imported" if created else "refreshed"
            self.stdout.write(f"{meetingid}: {verb} “{meeting.title}”")
        if failed:
            raise CommandError(f"{failed} of {len(meetingids)} meetings could not be imported")
