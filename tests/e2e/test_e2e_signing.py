"""A citizen uploads a signed PDF to the public verification page and sees who signed it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Page, expect
from reportlab.pdfgen import canvas

from egov.signing import devca, keys, pdf, services

from .conftest import SCREENSHOTS, assert_accessible

PASSWORD = "e2e-password"


def _signed_pdf() -> tuple[bytes, bytes]:
    ca = devca.build_dev_ca(
        seal_org_code="H51",
        seal_org_name="Ủy ban nhân dân tỉnh Quảng Ngãi",
        officers=[
            devca.OfficerCert(
                "chutich.qni", "Nguyễn Hữu Phúc", "Ủy ban nhân dân tỉnh Quảng Ngãi", ""
            )
        ],
        password=PASSWORD,
    )
    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer)
    doc.drawString(72, 760, "Quyet dinh 15/QD-UBND")
    doc.save()
    loaded = keys.signer_for(
        keys.Pkcs12Source(ca.officers["chutich.qni"].pkcs12(PASSWORD)), PASSWORD, cached=False
    )
    root = ca.root.certificate.public_bytes(serialization.Encoding.PEM)
    return pdf.sign_pdf(buffer.getvalue(), loaded=loaded, reason="Phê duyệt"), root


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_citizen_uploads_a_signed_pdf_and_sees_the_signer(page: Page, tmp_path: Path) -> None:
    signed, root = _signed_pdf()
    services.trusted_root_add(actor=None, certificate=root)
    upload = tmp_path / "quyet-dinh.pdf"
    upload.write_bytes(signed)

    page.goto("/xac-thuc-van-ban/")
    assert_accessible(page, "verification form")

    page.locator("#verify-file").set_input_files(str(upload))
    page.locator("main form button[type=submit]").click()

    expect(page.locator(".signature__signer")).to_have_text("Nguyễn Hữu Phúc")
    expect(page.locator(".alert--success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Ủy ban nhân dân tỉnh Quảng Ngãi")
    assert_accessible(page, "verification result")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "signing-verify.png"), full_page=True)
