import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from meetings.actions import account as account_actions
from meetings.actions.errors import ActionError

ROLE_CHOICES = ("administrator", "auditor", "superuser", *account_actions.ROLES.values())


class Command(BaseCommand):
    help = (
        "Give a user a role: administrator (会议管理员: view and edit meetings), auditor "
        "(审计员: read the audit record in the admin) or superuser (administers users). "
        "The change is recorded as a role change made by the system. With --create, a user "
        "that does not exist yet is created first, with a password printed once. "
        "--wecom-userid says who the person is in WeCom: the app's messages about their "
        "changes go there."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=ROLE_CHOICES)
        parser.add_argument("--remove", action="store_true", help="take the role away instead")
        parser.add_argument(
            "--create",
            action="store_true",
            help="create the user first when there is none (its password is printed once)",
        )
        parser.add_argument(
            "--wecom-userid",
            metavar="USERID",
            help="the person's WeCom userid, where the app's messages reach them ('' for none)",
        )

    def handle(self, *args, username, role, remove, create, wecom_userid, **options):
        User = get_user_model()
        password = None
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            if not create or remove:
                raise CommandError(
                    f"no user called {username!r} (add --create to create one)"
                ) from None
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(username, password=password)
        try:
            account_actions.grant_role(user, role, actor=None, remove=remove)
        except ActionError as err:
            raise CommandError(str(err)) from None
        verb = "no longer has" if remove else "now has"
        self.stdout.write(f"{username} {verb} the role {role}")
        if wecom_userid is not None:
            try:
                account_actions.set_wecom_userid(user, wecom_userid)
            except ValidationError as err:
                raise CommandError("; ".join(err.messages)) from None
            self.stdout.write(f"{username}'s WeCom userid is now {wecom_userid or '(none)'}")
        if password is not None:
            # Shown this once only: the password is not stored anywhere readable.
            self.stdout.write(f"{username} was created. Password: {password}")
