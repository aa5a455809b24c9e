"""For `make run` only: an editor account from DEMO_EDITOR_USERNAME and DEMO_EDITOR_PASSWORD."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from kb import roles


class Command(BaseCommand):
    help = (
        "Create (or reset the password of) a demo editor from the DEMO_EDITOR_USERNAME and "
        "DEMO_EDITOR_PASSWORD environment variables. Refused unless DEBUG is on."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "create_demo_editor is for local demos only and refuses to run with DEBUG off. "
                "Create real accounts with `manage.py createsuperuser` or in the admin."
            )
        username = settings.DEMO_EDITOR_USERNAME.strip()
        password = settings.DEMO_EDITOR_PASSWORD
        if not username or not password:
            raise CommandError(
                "Set DEMO_EDITOR_USERNAME and DEMO_EDITOR_PASSWORD in the environment first."
            )
        editors = Group.objects.filter(name=roles.EDITORS).first()
        if editors is None:
            raise CommandError("The `editors` group is missing: run `manage.py migrate` first.")
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.is_active = True
        user.save()
        user.groups.add(editors)
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} the demo editor {username!r}; sign in at /accounts/login/.")
