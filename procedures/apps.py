from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = "Procedures"

    def ready(self) -> None:
        from procedures.services import publish_checks

        publish_checks()  # SOPDESK_PUBLISH_CHECKS: a bad entry stops start-up with ImproperlyConfigured (issue 13)
