from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "egov.api"
    label = "egov_api"
    verbose_name = "API"
