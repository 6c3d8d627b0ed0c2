from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "egov.meetings"
    label = "meetings"
    verbose_name = _("Work calendar and meetings")

    def ready(self) -> None:
        # Registers the calendar and meeting actions with the directory's policy registry.
        from egov.meetings import rules  # noqa: F401
