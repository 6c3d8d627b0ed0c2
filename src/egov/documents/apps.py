from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "egov.documents"
    label = "documents"
    verbose_name = _("Official documents")

    def ready(self) -> None:
        # Registers the document actions with the directory's policy registry, the search
        # kind of documents, and documents as a source of assignments.
        from egov.documents import assignment_sources, rules, search  # noqa: F401
