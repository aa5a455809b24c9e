"""The knowledge base's roles, as groups with permissions, and the permissions the code checks.

`researchers` read drafts; `editors` also change content. Anonymous readers need no group
(published content only); administrators are superusers and hold every permission. Code checks
permissions (`user.has_perm(...)`), never group names, so a site may define other groups.
The data migration kb/migrations/0002_roles.py and the tests create the groups from here.
"""

from django.contrib.auth.management import create_permissions

SEE_DRAFTS = "kb.view_claim"  # unpublished claims, the history, the research views
EDIT_CLAIMS = "kb.change_claim"  # the editors' workbench and every write it offers

EDITORS = "editors"
RESEARCHERS = "researchers"

READ = ["view"]
EDIT = ["view", "add", "change"]
ROLES = {
    RESEARCHERS: {
        "kb": {"compound": READ, "source": READ, "claim": READ, "evidence": READ},
        "studies": {"study": READ},
    },
    EDITORS: {
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
    """Create the groups and give them exactly their permissions (idempotent). `apps` is a
    migration's app registry or django.apps.apps."""
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
