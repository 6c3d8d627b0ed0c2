from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "egov.dossiers"
    label = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        # Registers the dossier actions with the directory's policy registry and the search
        # kind of dossiers.
        from egov.dossiers import note_rules, rules, search  # noqa: F401
