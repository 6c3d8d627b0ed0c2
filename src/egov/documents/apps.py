from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "egov.documents"
    label = "documents"
    verbose_name = _("Official documents")

    def ready(self) -> None:
        # Registers the document actions with the directory's policy registry and the search
        # kind of documents.
        from egov.documents import rules, search  # noqa: F401
