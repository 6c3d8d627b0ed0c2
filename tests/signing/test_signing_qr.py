"""The QR code on the seal: it encodes the verification page of the record, which compares
a citizen's copy with the file the platform signed."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from directory_factories import OfficerFactory, OrganizationFactory, PositionFactory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from egov.directory.models import Officer, Role, RoleAssignment, Scope
from egov.signing import keys, pdf, services, stamps, verify
from egov.signing.models import SignatureRecord, SigningKey

from .conftest import PASSWORD, Ca

pytestmark = pytest.mark.django_db
DPI = 288  # 4 pixels per point


@dataclass
class Issued:
    sealed: bytes
    record: SignatureRecord
    head: Officer


@pytest.fixture
def issued(dev_ca: Ca, one_page: bytes) -> Issued:
    keys.signer_cache.forget()
    services.trusted_root_add(actor=None, certificate=dev_ca.root_pem)
    province = OrganizationFactory(committee=True, name_vi="Ủy ban nhân dân tỉnh Thử Nghiệm")
    office = OrganizationFactory(unit=True, parent=province)
    head = OfficerFactory(unit=province, position=PositionFactory(code="ct", name_vi="Chủ tịch"))
    clerk = OfficerFactory(unit=office)
    RoleAssignment.objects.create(officer=head, role=Role.HEAD, scope=Scope.ORGANIZATION)
    RoleAssignment.objects.create(officer=clerk, role=Role.CLERK, scope=Scope.ORGANIZATION)
    head_key: SigningKey = services.signing_key_import_pkcs12(
        actor=None, data=dev_ca.p12("head"), password=PASSWORD, officer=head
    )
    seal_key = services.signing_key_import_pkcs12(
        actor=None, data=dev_ca.seal_p12(), password=PASSWORD, organization=province
    )
    signed = services.signature_sign_as_person(
        actor=head.account, pdf=one_page, key_id=head_key.pk, secret=PASSWORD
    ).pdf
    result = services.signature_sign_as_organization(
        actor=clerk.account,
        pdf=signed,
        key_id=seal_key.pk,
        secret=PASSWORD,
        reference="15/QĐ-UBND",
    )
    return Issued(result.pdf, result.record, head)


def _rendered_modules(data: bytes, tmp_path: Path, box: stamps.Box, count: int) -> list[list[bool]]:
    """Render page 1 with poppler and read the QR square module by module (dark or not)."""
    source = tmp_path / "sealed.pdf"
    source.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-f", "1", "-l", "1", "-png", "-singlefile"]
        + [str(source), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    image = Image.open(tmp_path / "page.png").convert("L")
    scale = DPI / 72
    page_height = image.height / scale
    x1, _y1, x2, y2 = stamps.qr_box(box)
    module = (x2 - x1) / (count + 2 * stamps.QR_QUIET_MODULES)
    rows = []
    for r in range(count):
        row = []
        for c in range(count):
            x = x1 + (c + stamps.QR_QUIET_MODULES + 0.5) * module
            y = y2 - (r + stamps.QR_QUIET_MODULES + 0.5) * module
            pixel = image.getpixel((round(x * scale), round((page_height - y) * scale)))
            row.append(isinstance(pixel, int) and pixel < 128)
        rows.append(row)
    return rows


def test_seal_stamp_carries_a_qr_code_of_the_records_verification_page(
    issued: Issued, tmp_path: Path, dev_ca: Ca
) -> None:
    code = issued.record.verification_code
    assert code is not None
    assert len(code) == services.CODE_LENGTH
    url = services.verification_url(code)
    assert url == f"http://127.0.0.1:8000/xac-thuc-van-ban/ma/{code}/"
    widgets = {n: box for n, _page, box in pdf.signature_widgets(pdf.read_pdf(issued.sealed))}
    expected = stamps.qr_matrix(url)

    seen = _rendered_modules(issued.sealed, tmp_path, widgets["Signature2"], len(expected))

    assert seen == expected
    assert seen != stamps.qr_matrix(url.replace(code, "A" * len(code)))
    # The wider seal stamp still leaves both signatures valid.
    assert all(r.ok for r in verify.verify_pdf(issued.sealed, [dev_ca.root_der]))


def test_code_page_lists_the_documents_signatures(issued: Issued, client: Client) -> None:
    response = client.get(f"/xac-thuc-van-ban/ma/{issued.record.verification_code}/")

    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-code-found="1"' in text
    assert issued.head.full_name in text
    assert "15/QĐ-UBND" in text
    assert issued.record.sha256_after in text


def test_uploading_the_issued_copy_confirms_it(issued: Issued, client: Client) -> None:
    upload = SimpleUploadedFile("qd.pdf", issued.sealed, "application/pdf")

    response = client.post(
        f"/xac-thuc-van-ban/ma/{issued.record.verification_code}/", {"file": upload}
    )

    assert response.status_code == 200
    assert 'data-matches="1"' in response.content.decode()


def test_a_changed_copy_is_caught_as_not_the_issued_document(
    issued: Issued, client: Client
) -> None:
    forged = issued.sealed.replace(b"trang 1", b"trang 2")
    assert forged != issued.sealed
    upload = SimpleUploadedFile("qd.pdf", forged, "application/pdf")

    response = client.post(
        f"/xac-thuc-van-ban/ma/{issued.record.verification_code}/", {"file": upload}
    )

    text = response.content.decode()
    assert 'data-matches="0"' in text
    assert pdf.sha256_hex(forged) in text


def test_unknown_code_is_not_found(client: Client) -> None:
    response = client.get("/xac-thuc-van-ban/ma/ABCDEFGHJKLM/")
    assert response.status_code == 404
    assert 'data-code-found="0"' in response.content.decode()


def test_only_the_seal_record_gets_a_code(issued: Issued) -> None:
    assert SignatureRecord.objects.filter(kind="person").get().verification_code is None
