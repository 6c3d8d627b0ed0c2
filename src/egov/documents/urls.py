from django.urls import path  # noqa: F401

app_name = "documents"
urlpatterns: list = []
from egov.documents.urls_incoming import urlpatterns as _incoming  # noqa: E402

urlpatterns += _incoming
from egov.documents.urls_outgoing import urlpatterns as _outgoing  # noqa: E402

urlpatterns += _outgoing
from egov.documents.urls_reading import urlpatterns as _reading  # noqa: E402

urlpatterns += _reading
