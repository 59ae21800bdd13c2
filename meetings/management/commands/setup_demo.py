import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Prepare the local demo: an administrator account when there is no user yet."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", password=password)
        # Shown this once only: the password is not stored anywhere readable.
        self.stdout.write(
            self.style.SUCCESS(f"Demo administrator created. Login: admin  Password: {password}")
        )
