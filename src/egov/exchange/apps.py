from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "egov.exchange"
    label = "exchange"
    verbose_name = _("Inter-agency document exchange")

    def ready(self) -> None:
        # The outbox is written in the transaction of the documents service that caused it.
        from egov.documents.signals import document_issued, incoming_progress
        from egov.exchange import receivers

        document_issued.connect(receivers.on_document_issued, dispatch_uid="exchange.issued")
        incoming_progress.connect(receivers.on_incoming_progress, dispatch_uid="exchange.progress")
