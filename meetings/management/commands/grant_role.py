from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from meetings import actions

ROLE_CHOICES = ("administrator", "auditor", "superuser", *actions.ROLES.values())


class Command(BaseCommand):
    help = (
        "Give a user a role: administrator (会议管理员: view and edit meetings), auditor "
        "(审计员: read the audit record in the admin) or superuser (administers users). "
        "The change is recorded as a role change made by the system."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=ROLE_CHOICES)
        parser.add_argument("--remove", action="store_true", help="take the role away instead")

    def handle(self, *args, username, role, remove, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"no user called {username!r}") from None
        try:
            actions.grant_role(user, role, actor=None, remove=remove)
        except actions.ActionError as err:
            raise CommandError(str(err)) from None
        verb = "no longer has" if remove else "now has"
        self.stdout.write(f"{username} {verb} the role {role}")
