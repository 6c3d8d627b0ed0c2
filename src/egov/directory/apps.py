from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "egov.directory"
    label = "directory"
    verbose_name = _("Organisations and people")

    def ready(self) -> None:
        # Citizens' password sign-in counts failed attempts per client and per user name.
        from egov.directory import citizen_services, identity

        identity.provider_register(citizen_services.RateLimitedPasswordProvider())
