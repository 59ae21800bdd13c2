from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from meetings.bounds import midnight
from meetings.importing import pull_user
from wecom.errors import WeComError


def local_date(value):
    return midnight(datetime.strptime(value, "%Y-%m-%d").date())


class Command(BaseCommand):
    help = (
        "Import every meeting of the given people (meeting/get_user_meetingid, walked in "
        "180-day windows), by default from a week ago to 180 days ahead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--userid", action="append", required=True, dest="userids")
        parser.add_argument("--since", type=local_date, help="YYYY-MM-DD, local time")
        parser.add_argument("--until", type=local_date, help="YYYY-MM-DD, local time")

    def handle(self, *args, userids, since, until, **options):
        total = 0
        for userid in userids:
            try:
                for meetingid, meeting, created in pull_user(userid, begin=since, end=until):
                    total += 1
                    verb = "imported" if created else "refreshed"
                    self.stdout.write(f"{userid}: {meetingid} {verb} “{meeting.title}”")
            except WeComError as exc:
                raise CommandError(f"{userid}: {exc.message} ({exc.errcode})") from None
        self.stdout.write(f"{total} meetings")
