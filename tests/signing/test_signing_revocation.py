"""PAdES B-LT and revocation: the dev CA's CRL, embedded validation data, revoked certificates."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from directory_factories import OfficerFactory, OrganizationFactory, PositionFactory
from django.test import Client
from django.utils import translation
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from egov.core.errors import ValidationFailed
from egov.core.models import AuditEntry
from egov.directory.models import Role, RoleAssignment, Scope
from egov.signing import devca, keys, pdf, revocation, services, verify
from egov.signing.errors import CertificateRevoked
from egov.signing.models import RevocationList, SignatureRecord, SigningKey, TimestampAuthority
from egov.signing.tsa import LocalTimestampAuthority

from .conftest import PASSWORD, Ca

pytestmark = pytest.mark.django_db


def _root_key_der(ca: devca.DevCa) -> bytes:
    return ca.root.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _register(ca: devca.DevCa) -> RevocationList:
    root_pem = ca.root.certificate.public_bytes(serialization.Encoding.PEM)
    services.trusted_root_add(actor=None, certificate=root_pem)
    return services.revocation_list_register(
        actor=None, name=devca.CRL_NAME, issuer_certificate=root_pem, issuer_key=_root_key_der(ca)
    )


@pytest.fixture
def head_key(dev_ca: Ca, tsa_url: str) -> SigningKey:
    """The head of a province with a stored key, the dev CA's CRL published, a TSA active."""
    keys.signer_cache.forget()
    _register(dev_ca.ca)
    TimestampAuthority.objects.create(name="Local", url=tsa_url, timeout_seconds=5)
    province = OrganizationFactory(committee=True, name_vi="Ủy ban nhân dân tỉnh Thử Nghiệm")
    head = OfficerFactory(unit=province, position=PositionFactory(code="ct", name_vi="Chủ tịch"))
    RoleAssignment.objects.create(officer=head, role=Role.HEAD, scope=Scope.ORGANIZATION)
    return services.signing_key_import_pkcs12(
        actor=None, data=dev_ca.p12("head"), password=PASSWORD, officer=head
    )


def _sign(key: SigningKey, data: bytes) -> services.SignedResult:
    assert key.officer is not None
    return services.signature_sign_as_person(
        actor=key.officer.account, pdf=data, key_id=key.pk, secret=PASSWORD, reason="Phê duyệt"
    )


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def test_dev_ca_certificates_name_the_platforms_crl_address(dev_ca: Ca) -> None:
    for issued in (dev_ca.ca.seal, dev_ca.ca.tsa, *dev_ca.ca.officers.values()):
        points = issued.certificate.extensions.get_extension_for_class(
            x509.CRLDistributionPoints
        ).value
        [uri] = points[0].full_name or []
        assert uri.value == "http://127.0.0.1:8000/chu-ky-so/crl/dev-root.crl"


def test_registering_the_dev_ca_publishes_an_empty_signed_crl(dev_ca: Ca, client: Client) -> None:
    row = _register(dev_ca.ca)

    response = client.get("/chu-ky-so/crl/dev-root.crl")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(dev_ca.ca.root.certificate.public_key())  # type: ignore[arg-type]
    assert len(list(crl)) == 0
    assert row.number == 1
    assert row.issuer_key_sealed is not None
    assert _root_key_der(dev_ca.ca) not in bytes(row.issuer_key_sealed)
    assert client.get("/chu-ky-so/crl/nothing.crl").status_code == 404


def test_b_lt_signature_carries_its_own_validation_data(
    head_key: SigningKey, dev_ca: Ca, one_page: bytes, tmp_path: Path
) -> None:
    result = _sign(head_key, one_page)

    assert result.record.level == "B-LT"
    reader = PdfFileReader(io.BytesIO(result.pdf))
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(dss.crls) >= 1
    # Only what the file holds: no fetching, no CRL from us, and revocation data REQUIRED.
    only_embedded: dict[str, Any] = {
        "trust_roots": [_asn1(dev_ca.ca.root.certificate)],
        "allow_fetching": False,
        "revocation_mode": "hard-fail",
    }
    [sig] = reader.embedded_signatures
    status = validate_pdf_signature(
        sig,
        dss.as_validation_context(dict(only_embedded)),
        ts_validation_context=dss.as_validation_context(dict(only_embedded)),
    )
    assert status.bottom_line
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.trusted
    # Control: the same demand without the embedded data fails, so the data really is inside.
    bare = ValidationContext(
        trust_roots=[_asn1(dev_ca.ca.root.certificate)],
        crls=[],
        allow_fetching=False,
        revocation_mode="hard-fail",
    )
    assert not validate_pdf_signature(sig, bare).bottom_line
    [report] = verify.verify_pdf(result.pdf, [dev_ca.root_der])
    assert (report.level, report.ok) == ("B-LT", True)
    path = tmp_path / "blt.pdf"
    path.write_bytes(result.pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    assert "Signature Validation: Signature is Valid." in out.stdout


def test_without_a_crl_for_the_signers_ca_the_level_stays_b_t(
    head_key: SigningKey, one_page: bytes
) -> None:
    RevocationList.objects.all().delete()
    assert _sign(head_key, one_page).record.level == "B-T"


def test_revoking_a_key_puts_it_on_the_next_crl_and_stops_it_signing(
    head_key: SigningKey, dev_ca: Ca, one_page: bytes, client: Client
) -> None:
    signed_before = _sign(head_key, one_page).pdf
    audit_before = AuditEntry.objects.count()

    services.signing_key_revoke(actor=None, key=head_key)

    row = RevocationList.objects.get()
    assert row.number == 2
    crl = x509.load_der_x509_crl(client.get("/chu-ky-so/crl/dev-root.crl").content)
    serial = dev_ca.ca.officers["head"].certificate.serial_number
    assert crl.get_revoked_certificate_by_serial_number(serial) is not None
    assert AuditEntry.objects.count() == audit_before + 1
    records = SignatureRecord.objects.count()
    with translation.override("vi"), pytest.raises(CertificateRevoked) as caught:
        _sign(head_key, one_page)
    assert str(caught.value.message) == "Chứng thư số đã bị thu hồi."
    assert SignatureRecord.objects.count() == records
    # The document signed before is now reported with a revoked certificate.
    [report] = verify.verify_pdf(signed_before, [dev_ca.root_der], [bytes(row.crl_der)])
    assert report.chain_status == verify.REVOKED
    assert not report.ok


def test_a_key_on_an_imported_crl_is_refused_even_if_not_marked_revoked(
    dev_ca: Ca, one_page: bytes
) -> None:
    keys.signer_cache.forget()
    root_pem = dev_ca.root_pem
    services.trusted_root_add(actor=None, certificate=root_pem)
    plain = dev_ca.ca.officers["plain"]
    crl = dev_ca.ca.crl([(plain.certificate.serial_number, plain.certificate.not_valid_before_utc)])
    services.revocation_list_register(
        actor=None, name="licensed-ca", issuer_certificate=root_pem, crl=crl
    )
    province = OrganizationFactory(committee=True)
    officer = OfficerFactory(unit=province)
    RoleAssignment.objects.create(officer=officer, role=Role.HEAD, scope=Scope.ORGANIZATION)
    key = services.signing_key_import_pkcs12(
        actor=None, data=dev_ca.p12("plain"), password=PASSWORD, officer=officer
    )
    with pytest.raises(CertificateRevoked):
        _sign(key, one_page)
    assert SignatureRecord.objects.count() == 0


def test_an_imported_crl_must_be_signed_by_the_ca(dev_ca: Ca) -> None:
    other = devca.build_dev_ca(seal_org_code="X", seal_org_name="X", officers=[], crl_url="")
    with pytest.raises(ValidationFailed):
        services.revocation_list_register(
            actor=None, name="x", issuer_certificate=dev_ca.root_pem, crl=other.crl()
        )
    assert RevocationList.objects.count() == 0


def test_verification_page_reports_a_revoked_certificate(
    head_key: SigningKey, one_page: bytes, client: Client
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    signed = _sign(head_key, one_page).pdf
    services.signing_key_revoke(actor=None, key=head_key)

    response = client.post(
        "/xac-thuc-van-ban/", {"file": SimpleUploadedFile("qd.pdf", signed, "application/pdf")}
    )

    assert 'data-chain="revoked"' in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_crl_served_over_http_lets_a_fetching_validator_find_the_revocation(
    live_server: Any, one_page: bytes
) -> None:
    """The HTTP route: certificates point at the live server, pyHanko fetches the CRL."""
    ca = devca.build_dev_ca(
        seal_org_code="T51",
        seal_org_name="Tỉnh",
        officers=[devca.OfficerCert("head", "Nguyễn Hữu Phúc", "Tỉnh", "")],
        password=PASSWORD,
        crl_url=f"{live_server.url}/chu-ky-so/crl/{devca.CRL_NAME}.crl",
    )
    assert revocation.crl_url("x").endswith("/chu-ky-so/crl/x.crl")
    row = _register(ca)
    officer = OfficerFactory(unit=OrganizationFactory(committee=True))
    key = services.signing_key_import_pkcs12(
        actor=None, data=ca.officers["head"].pkcs12(PASSWORD), password=PASSWORD, officer=officer
    )
    loaded = keys.signer_for(keys.Pkcs12Source(ca.officers["head"].pkcs12(PASSWORD)), PASSWORD)
    tsa = LocalTimestampAuthority(ca.tsa.certificate, ca.tsa.key, [ca.root.certificate])
    fetching = ValidationContext(
        trust_roots=[_asn1(ca.root.certificate)], allow_fetching=True, revocation_mode="hard-fail"
    )
    signed = pdf.sign_pdf(
        one_page, loaded=loaded, timestamper=tsa.timestamper(), validation_context=fetching
    )
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(signed)))
    assert [bytes(ref.get_object().data) for ref in dss.crls] == [bytes(row.crl_der)]

    services.signing_key_revoke(actor=None, key=key)

    [sig] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    status = validate_pdf_signature(
        sig,
        ValidationContext(
            trust_roots=[_asn1(ca.root.certificate)],
            allow_fetching=True,
            revocation_mode="hard-fail",
        ),
    )
    assert status.revoked
