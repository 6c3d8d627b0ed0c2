from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from egov.api.api import api
from egov.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("quan-tri/", admin.site.urls),
    path("", include("egov.directory.urls")),
    path("", include("egov.signing.urls")),
    path("", include("egov.dossiers.urls")),
    path("", include("egov.documents.urls")),
    path("", include("egov.assignments.urls")),
    path("", include("egov.meetings.urls")),
    path("", include("egov.exchange.urls")),
    path("", include("egov.payments.urls")),
    path("", include("egov.portal.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
