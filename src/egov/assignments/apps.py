from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssignmentsConfig(AppConfig):
    name = "egov.assignments"
    label = "assignments"
    verbose_name = _("Assignments and follow-up")

    def ready(self) -> None:
        # Registers the assignment actions with the directory's policy registry.
        from egov.assignments import rules  # noqa: F401
