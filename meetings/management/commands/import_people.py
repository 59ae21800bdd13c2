from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from meetings import people


class Command(BaseCommand):
    help = (
        "Fill the people directory from the member export of the WeCom admin console (CSV with "
        "the columns 账号, 姓名 and 部门, or userid, name and department). People are matched "
        "by userid; a blank name or department never replaces a known one."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The exported CSV file.")

    def handle(self, *args, file, **options):
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        try:
            rows = people.read_export(raw)
        except people.ExportError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        # All or nothing: a file that fails half way leaves the directory as it was.
        with transaction.atomic():
            created, updated, skipped = people.upsert(rows, people.Source.CSV)
        self.stdout.write(
            self.style.SUCCESS(
                f"People: {created} added, {updated} updated, "
                f"{len(rows) - created - updated - skipped} unchanged, "
                f"{skipped} skipped (no valid userid)."
            )
        )
