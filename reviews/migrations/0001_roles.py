from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

from procedures.roles import ROLE_APPS, role_sync


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for label in ROLE_APPS:
        create_permissions(global_apps.get_app_config(label), verbosity=0)
    role_sync(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"))


def remove_roles(apps, schema_editor):
    from procedures.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("procedures", "0001_initial"),
        ("cases", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
