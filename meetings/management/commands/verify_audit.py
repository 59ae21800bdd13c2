from django.core.management.base import BaseCommand, CommandError

from meetings.chain import verify_chain
from meetings.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Walk the audit record's hash chain and name the first event that was changed, "
        "removed or inserted outside the application. Prints the chain's head hash: keep it "
        "elsewhere, and pass it back with --head to check that nothing was cut from the end."
    )

    def add_arguments(self, parser):
        parser.add_argument("--head", help="a head hash printed by an earlier run")

    def handle(self, *args, head=None, **options):
        events = AuditEvent.objects.order_by("pk").iterator(chunk_size=2000)
        report = verify_chain(events)
        if report.broken is not None:
            raise CommandError(
                f"audit record broken after {report.count} intact events: {report.broken.message}"
            )
        # An intact chain that holds the earlier head still holds everything up to it.
        if head and not AuditEvent.objects.filter(hash=head).exists():
            raise CommandError(
                f"the chain of {report.count} events does not pass through {head}: "
                f"events were removed from its end, or it is another record"
            )
        self.stdout.write(f"{report.count} events, chain intact; head {report.head}")
