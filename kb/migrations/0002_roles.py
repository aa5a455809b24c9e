"""The knowledge base's roles as groups: `researchers` read drafts, `editors` change content.

Anonymous readers need no group (published content only); administrators are superusers and
use the Django admin.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = ["view"]
EDIT = ["view", "add", "change"]
ROLES = {
    "researchers": {
        "kb": {"compound": READ, "source": READ, "claim": READ, "evidence": READ},
        "studies": {"study": READ},
    },
    "editors": {
        "kb": {
            "compound": READ,
            "source": EDIT,
            "reference": EDIT,
            "citation": EDIT,
            "claim": EDIT,
            "evidence": [*EDIT, "delete"],
        },
        "studies": {"study": EDIT},
    },
}


def grant_roles(apps):
    """Create the groups and give them exactly their permissions (idempotent)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, apps_models in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [
            (app_label, f"{action}_{model}")
            for app_label, models in apps_models.items()
            for model, actions in models.items()
            for action in actions
        ]
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in codenames
        ]
        group.permissions.set(permissions)


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations have run; make sure they exist.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    grant_roles(apps)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0001_initial"),
        ("studies", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
