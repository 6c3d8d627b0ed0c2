"""IT admins register peers in the Django admin through the audited service; the outbox and
inbox are read-only there."""

from __future__ import annotations

import pytest
from django.test import Client

from egov.core.models import AuditEntry
from egov.directory.models import Account
from egov.exchange.models import Peer

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(Account.objects.create_superuser("it", "it@example.vn", "Mat-khau-2025!"))
    return client


def _form(**extra: str) -> dict[str, str]:
    data = {
        "name": "So Noi vu tinh ben",
        "endpoint_url": "https://egov.tinhben.example.vn",
        "connector": "direct",
        "key_id": "tinhben-1",
        "public_key": "",
        "enabled": "on",
        "codes": "H52.01, H52.02",
        "new_secret": "mot-bi-mat-du-dai-16",
    }
    data.update(extra)
    return data


def test_a_peer_added_in_the_admin_is_saved_by_the_service(admin_client: Client) -> None:
    answer = admin_client.post("/quan-tri/exchange/peer/add/", _form())
    assert answer.status_code == 302, answer.content.decode()[:500]
    peer = Peer.objects.get()
    assert peer.org_codes == ["H52.01", "H52.02"]
    assert peer.secret == "mot-bi-mat-du-dai-16"
    assert AuditEntry.objects.filter(action="exchange.peer_save").count() == 1
    page = admin_client.get(f"/quan-tri/exchange/peer/{peer.pk}/change/").content.decode()
    assert "mot-bi-mat-du-dai-16" not in page
    # An edit without a new secret keeps the old one.
    edit = _form(codes="H52.03", new_secret="")
    edit.pop("name")
    answer = admin_client.post(f"/quan-tri/exchange/peer/{peer.pk}/change/", edit)
    assert answer.status_code == 302
    peer.refresh_from_db()
    assert (peer.org_codes, peer.secret) == (["H52.03"], "mot-bi-mat-du-dai-16")


def test_a_short_secret_is_refused_next_to_the_field(admin_client: Client) -> None:
    answer = admin_client.post("/quan-tri/exchange/peer/add/", _form(new_secret="ngan"))
    assert answer.status_code == 200
    assert "16" in answer.content.decode()
    assert not Peer.objects.exists()


def test_outbox_and_inbox_are_read_only(admin_client: Client) -> None:
    assert admin_client.get("/quan-tri/exchange/outboxmessage/").status_code == 200
    assert admin_client.get("/quan-tri/exchange/inboxmessage/").status_code == 200
    assert admin_client.get("/quan-tri/exchange/outboxmessage/add/").status_code == 403
