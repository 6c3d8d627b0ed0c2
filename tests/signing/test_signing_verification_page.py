"""The public verification page and the API: upload a PDF, see each signature."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from ninja.testing import TestClient

from egov.signing import pdf, services
from egov.signing.api import router

from .conftest import Ca

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(dev_ca: Ca, one_page: bytes) -> bytes:
    services.trusted_root_add(actor=None, certificate=dev_ca.root_pem)
    return pdf.sign_pdf(one_page, loaded=dev_ca.signer("head"), reason="Phê duyệt")


def test_page_shows_the_upload_form(client: Client) -> None:
    response = client.get("/xac-thuc-van-ban/")
    assert response.status_code == 200
    assert b'type="file"' in response.content


def test_uploaded_signed_pdf_shows_signer_organisation_and_trust(
    client: Client, signed: bytes
) -> None:
    response = client.post(
        "/xac-thuc-van-ban/", {"file": SimpleUploadedFile("qd.pdf", signed, "application/pdf")}
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Nguyễn Hữu Phúc" in text
    assert "Ủy ban nhân dân tỉnh Thử Nghiệm" in text
    assert 'data-chain="trusted" data-modification="unchanged"' in text
    assert 'data-records="0"' in text


def test_a_file_that_is_not_a_pdf_is_refused(client: Client) -> None:
    fake = SimpleUploadedFile("qd.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "application/pdf")
    response = client.post("/xac-thuc-van-ban/", {"file": fake})
    assert response.status_code == 422
    assert 'data-code="file.type_not_allowed"' in response.content.decode()


def test_a_damaged_pdf_gives_a_clear_message(client: Client) -> None:
    broken = SimpleUploadedFile("x.pdf", b"%PDF-1.7\n" + b"\x00" * 500, "application/pdf")
    response = client.post("/xac-thuc-van-ban/", {"file": broken})
    assert response.status_code == 422
    assert 'data-code="signing.corrupt_pdf"' in response.content.decode()


def test_api_verify_returns_each_signature(signed: bytes) -> None:
    api = TestClient(router)
    response = api.post(
        "/verify", FILES={"file": SimpleUploadedFile("qd.pdf", signed, "application/pdf")}
    )
    body = response.json()
    assert response.status_code == 200
    assert body["all_ok"] is True
    assert body["sha256"] == pdf.sha256_hex(signed)
    [sig] = body["signatures"]
    assert (sig["signer_name"], sig["chain_status"], sig["modification"]) == (
        "Nguyễn Hữu Phúc",
        "trusted",
        "unchanged",
    )
    assert body["records"] == []


def test_record_page_for_an_unknown_hash_is_not_found(client: Client) -> None:
    assert client.get("/xac-thuc-van-ban/" + "0" * 64 + "/").status_code == 404
    assert client.get("/xac-thuc-van-ban/not-a-hash/").status_code == 404
