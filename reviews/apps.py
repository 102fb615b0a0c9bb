from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, using, apps=None, **kwargs):
    """Keep the role groups after every migrate and every test-database flush.

    The data migration creates them once; a flush (as transactional tests do)
    empties auth tables and re-sends post_migrate, so they are recreated here.
    """
    from django.contrib.auth.models import Group, Permission

    from procedures.roles import role_sync

    role_sync(group_model=Group, permission_model=Permission, using=using)


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from django.apps import apps

        # post_migrate is sent only for apps with models; the roles need the
        # procedures and cases permissions, which exist once cases' signal runs.
        post_migrate.connect(_sync_roles, sender=apps.get_app_config("cases"), dispatch_uid="sopdesk-sync-roles")
