"""The knowledge base's roles as groups (defined in kb.roles)."""

from django.db import migrations

from kb.roles import create_roles, remove_roles


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0001_initial"),
        ("studies", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
