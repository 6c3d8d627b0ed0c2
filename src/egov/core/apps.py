from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "egov.core"
    label = "core"
    verbose_name = _("Core services")

    def ready(self) -> None:
        # Connects the calendar's cache invalidation and registers the start-up checks.
        from egov.core import calendar, checks  # noqa: F401
