"""A citizen uploads a signed PDF to the public verification page and sees who signed it; an
officer signs a PDF in the workspace and verifies the download on that page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Page, expect
from reportlab.pdfgen import canvas

from egov.directory.demo import OFFICER_PASSWORD, demo_seed
from egov.directory.models import Officer
from egov.signing import devca, keys, pdf, services

from .conftest import SCREENSHOTS, assert_accessible

PASSWORD = "e2e-password"
SIGNER = "giamdoc.snv"  # head of the provincial Department of Home Affairs, no second factor


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


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_officer_signs_a_pdf_in_the_workspace_and_verifies_the_download(
    page: Page, tmp_path: Path
) -> None:
    demo_seed()
    officer = Officer.objects.select_related("account").get(account__username=SIGNER)
    ca = devca.build_dev_ca(
        seal_org_code="H51",
        seal_org_name="Ủy ban nhân dân tỉnh Quảng Ngãi",
        officers=[devca.OfficerCert(SIGNER, officer.full_name, "Sở Nội vụ tỉnh Quảng Ngãi", "")],
        password=PASSWORD,
    )
    services.trusted_root_add(
        actor=None, certificate=ca.root.certificate.public_bytes(serialization.Encoding.PEM)
    )
    services.signing_key_import_pkcs12(
        actor=None, data=ca.officers[SIGNER].pkcs12(PASSWORD), password=PASSWORD, officer=officer
    )
    source = tmp_path / "to-trinh.pdf"
    doc = canvas.Canvas(str(source))
    doc.drawString(72, 760, "To trinh 07/TTr-SNV")
    doc.save()

    page.goto("/dang-nhap/")
    page.locator("input[name=username]").fill(SIGNER)
    page.locator("input[name=password]").fill(OFFICER_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/lam-viec/")

    page.goto("/lam-viec/ky-so/")
    assert_accessible(page, "signing form")
    form = page.locator("form[data-form=person]")
    form.locator("input[type=file]").set_input_files(str(source))
    form.locator("input[type=password]").fill(PASSWORD)
    form.locator("input[name=person-reason]").fill("Trình phê duyệt")
    form.locator("button[type=submit]").click()

    expect(page.locator("[data-testid=sha256-after]")).to_be_visible()
    assert_accessible(page, "signed record")
    with page.expect_download() as download_info:
        page.locator("[data-testid=download]").click()
    signed = tmp_path / "da-ky.pdf"
    download_info.value.save_as(str(signed))

    page.goto("/xac-thuc-van-ban/")
    page.locator("#verify-file").set_input_files(str(signed))
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".signature__signer")).to_have_text(officer.full_name)
    expect(page.locator(".alert--success")).to_be_visible()
    expect(page.locator("[data-records]")).to_have_attribute("data-records", "1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "signing-workspace-verify.png"), full_page=True)
