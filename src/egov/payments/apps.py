from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "egov.payments"
    label = "payments"
    verbose_name = _("Fee payments")

    def ready(self) -> None:
        # Registers the payment actions with the directory's policy registry.
        from egov.payments import rules  # noqa: F401
