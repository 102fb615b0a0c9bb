from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, using, apps=None, **kwargs):
    """Keep the role groups after every migrate and every test-database flush.

    The data migration creates them once; a flush (as transactional tests do)
    empties auth tables and re-sends post_migrate, so they are recreated here.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from procedures.roles import ROLE_APPS, role_sync

    for label in ROLE_APPS:  # their permissions may not be created yet in this round
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using)
    role_sync(group_model=Group, permission_model=Permission, using=using)


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from django.apps import apps

        # post_migrate is sent only for apps with models, so listen to one that has them.
        post_migrate.connect(_sync_roles, sender=apps.get_app_config("cases"), dispatch_uid="sopdesk-sync-roles")
