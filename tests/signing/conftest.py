"""Signing test set-up: one development CA per test session, PDFs made with ReportLab."""

from __future__ import annotations

import importlib.util
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from reportlab.pdfgen import canvas

from egov.signing import devca, keys
from egov.signing.tsa import LocalTimestampAuthority

_NAME = "directory_factories"
if _NAME not in sys.modules:
    _path = Path(__file__).resolve().parents[1] / "directory" / "factories.py"
    _spec = importlib.util.spec_from_file_location(_NAME, _path)
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

PASSWORD = "mat-khau-thu-nghiem"
PROVINCE = "Ủy ban nhân dân tỉnh Thử Nghiệm"


def make_pdf(pages: int = 1, text: str = "Quyết định số 15/QĐ-UBND") -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pageCompression=0)
    for n in range(pages):
        pdf.drawString(72, 760, f"{text} - trang {n + 1}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@dataclass
class Ca:
    ca: devca.DevCa

    @property
    def root_der(self) -> bytes:
        return self.ca.root.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def root_pem(self) -> bytes:
        return self.ca.root.certificate.public_bytes(serialization.Encoding.PEM)

    def p12(self, username: str) -> bytes:
        return self.ca.officers[username].pkcs12(PASSWORD, username)

    def seal_p12(self) -> bytes:
        return self.ca.seal.pkcs12(PASSWORD, "seal")

    def signer(self, username: str) -> keys.LoadedSigner:
        return keys.signer_for(keys.Pkcs12Source(self.p12(username)), PASSWORD)


@pytest.fixture(scope="session")
def dev_ca() -> Ca:
    officers = [
        devca.OfficerCert("head", "Nguyễn Hữu Phúc", PROVINCE, "Văn phòng"),
        devca.OfficerCert("deputy", "Bùi Thị Mai", PROVINCE, "Văn phòng"),
        devca.OfficerCert("plain", "Võ Thành Nam", PROVINCE, "Phòng Tổng hợp"),
    ]
    return Ca(
        devca.build_dev_ca(
            seal_org_code="T51", seal_org_name=PROVINCE, officers=officers, password=PASSWORD
        )
    )


@pytest.fixture(scope="session")
def one_page() -> bytes:
    return make_pdf(1)


@pytest.fixture
def pdf_factory() -> Callable[..., bytes]:
    return make_pdf


@pytest.fixture
def tsa_url(dev_ca: Ca) -> Iterator[str]:
    """A local RFC 3161 responder over HTTP on a free loopback port."""
    authority = LocalTimestampAuthority(
        dev_ca.ca.tsa.certificate, dev_ca.ca.tsa.key, [dev_ca.ca.root.certificate]
    )
    url = authority.serve()
    yield url
    authority.shutdown()
