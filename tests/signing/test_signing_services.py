"""Signing as a person and as the organisation: policy, records, audit, refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from directory_factories import OfficerFactory, OrganizationFactory, PositionFactory
from django.utils import timezone

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry
from egov.directory.models import Officer, Organization, Role, RoleAssignment, Scope
from egov.signing import keys, pdf, services, verify
from egov.signing.errors import (
    CertificateExpired,
    CertificateRevoked,
    NotSignedByCompetentPerson,
    WrongSecret,
)
from egov.signing.models import SignatureRecord, SigningKey, TimestampAuthority, TrustedRoot

from .conftest import PASSWORD, Ca

pytestmark = pytest.mark.django_db


@dataclass
class People:
    province: Organization
    head: Officer
    clerk: Officer
    plain: Officer
    head_key: SigningKey
    plain_key: SigningKey
    seal_key: SigningKey


def _officer(unit: Organization, role: str | None, code: str) -> Officer:
    officer = OfficerFactory(unit=unit, position=PositionFactory(code=code, name_vi="Chủ tịch"))
    if role:
        RoleAssignment.objects.create(officer=officer, role=role, scope=Scope.ORGANIZATION)
    return officer


@pytest.fixture
def people(dev_ca: Ca) -> People:
    keys.signer_cache.forget()
    services.trusted_root_add(actor=None, certificate=dev_ca.root_pem)
    province = OrganizationFactory(committee=True, name_vi="Ủy ban nhân dân tỉnh Thử Nghiệm")
    office = OrganizationFactory(unit=True, parent=province)
    head = _officer(province, Role.HEAD, "chu-tich")
    clerk = _officer(office, Role.CLERK, "van-thu")
    plain = _officer(office, None, "chuyen-vien")
    head_key = services.signing_key_import_pkcs12(
        actor=None, data=dev_ca.p12("head"), password=PASSWORD, officer=head
    )
    plain_key = services.signing_key_import_pkcs12(
        actor=None, data=dev_ca.p12("plain"), password=PASSWORD, officer=plain
    )
    seal_key = services.signing_key_import_pkcs12(
        actor=None, data=dev_ca.seal_p12(), password=PASSWORD, organization=province
    )
    return People(province, head, clerk, plain, head_key, plain_key, seal_key)


def _sign_person(people: People, data: bytes, **kwargs: object) -> services.SignedResult:
    return services.signature_sign_as_person(
        actor=people.head.account,
        pdf=data,
        key_id=people.head_key.pk,
        secret=PASSWORD,
        reason="Phê duyệt",
        **kwargs,  # type: ignore[arg-type]
    )


def test_stored_key_is_encrypted_and_tied_to_the_officer(people: People, dev_ca: Ca) -> None:
    key = SigningKey.objects.get(pk=people.head_key.pk)
    assert key.officer_id == people.head.pk
    assert dev_ca.p12("head") not in bytes(key.pkcs12_sealed or b"")
    assert key.fingerprint == dev_ca.ca.officers["head"].fingerprint


def test_head_signs_and_the_record_names_who_what_when_and_which_certificate(
    people: People, one_page: bytes
) -> None:
    before = AuditEntry.objects.count()

    result = _sign_person(people, one_page)

    record = SignatureRecord.objects.get()
    assert record == result.record
    assert record.kind == SignatureRecord.Kind.PERSON
    assert (record.actor_id, record.officer_id) == (people.head.account_id, people.head.pk)
    assert record.sha256_before == pdf.sha256_hex(one_page)
    assert record.sha256_after == pdf.sha256_hex(result.pdf)
    assert record.certificate_fingerprint == people.head_key.fingerprint
    assert record.level == "B-B"
    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry is not None
    assert entry.action == "signing.sign_as_person"
    assert entry.summary["after"]["sha256_after"] == record.sha256_after
    [report] = verify.verify_pdf(
        result.pdf, [bytes(r.certificate_der) for r in TrustedRoot.objects.all()]
    )
    assert report.ok
    assert report.signer_name == "Nguyễn Hữu Phúc"


def test_officer_without_the_power_to_sign_signs_nothing(people: People, one_page: bytes) -> None:
    with pytest.raises(PermissionDenied):
        services.signature_sign_as_person(
            actor=people.plain.account,
            pdf=one_page,
            key_id=people.plain_key.pk,
            secret=PASSWORD,
        )
    assert SignatureRecord.objects.count() == 0


def test_nobody_signs_with_someone_elses_key(people: People, one_page: bytes) -> None:
    with pytest.raises(PermissionDenied):
        services.signature_sign_as_person(
            actor=people.clerk.account, pdf=one_page, key_id=people.head_key.pk, secret=PASSWORD
        )
    assert SignatureRecord.objects.count() == 0


def test_wrong_password_signs_nothing_and_writes_nothing(people: People, one_page: bytes) -> None:
    audit_before = AuditEntry.objects.count()
    with pytest.raises(WrongSecret) as caught:
        services.signature_sign_as_person(
            actor=people.head.account, pdf=one_page, key_id=people.head_key.pk, secret="sai"
        )
    assert caught.value.code == "signing.wrong_secret"
    assert SignatureRecord.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_revoked_key_signs_nothing(people: People, one_page: bytes) -> None:
    services.signing_key_revoke(actor=None, key=people.head_key)
    with pytest.raises(CertificateRevoked):
        _sign_person(people, one_page)
    assert SignatureRecord.objects.count() == 0


def test_clerk_seals_a_document_the_head_signed_and_both_stay_valid(
    people: People, one_page: bytes, dev_ca: Ca
) -> None:
    signed = _sign_person(people, one_page).pdf

    sealed = services.signature_sign_as_organization(
        actor=people.clerk.account,
        pdf=signed,
        key_id=people.seal_key.pk,
        secret=PASSWORD,
        reference="15/QĐ-UBND",
    )

    reports = verify.verify_pdf(sealed.pdf, [dev_ca.root_der])
    assert [r.signer_name for r in reports] == [
        "Nguyễn Hữu Phúc",
        "Ủy ban nhân dân tỉnh Thử Nghiệm",
    ]
    assert all(r.ok for r in reports)
    widgets = {name: box for name, _page, box in pdf.signature_widgets(pdf.read_pdf(sealed.pdf))}
    person, seal = widgets["Signature1"], widgets["Signature2"]
    assert seal[0] < person[0] < seal[2] < person[2]  # the seal covers the person's left side
    assert sealed.record.kind == SignatureRecord.Kind.ORGANIZATION
    assert sealed.record.reference == "15/QĐ-UBND"
    assert sealed.record.sha256_before == pdf.sha256_hex(signed)


def test_seal_is_refused_on_a_document_no_competent_person_signed(
    people: People, one_page: bytes, dev_ca: Ca
) -> None:
    signed_by_plain = pdf.sign_pdf(one_page, loaded=dev_ca.signer("plain"))
    for data in (one_page, signed_by_plain):
        with pytest.raises(NotSignedByCompetentPerson):
            services.signature_sign_as_organization(
                actor=people.clerk.account, pdf=data, key_id=people.seal_key.pk, secret=PASSWORD
            )
    assert SignatureRecord.objects.count() == 0


def test_only_a_clerk_applies_the_seal(people: People, one_page: bytes) -> None:
    signed = _sign_person(people, one_page).pdf
    with pytest.raises(PermissionDenied):
        services.signature_sign_as_organization(
            actor=people.head.account, pdf=signed, key_id=people.seal_key.pk, secret=PASSWORD
        )
    assert SignatureRecord.objects.filter(kind=SignatureRecord.Kind.ORGANIZATION).count() == 0


def test_attachment_gets_the_organisation_signature_top_right_of_page_one(
    people: People, one_page: bytes, pdf_factory: object
) -> None:
    main = _sign_person(people, one_page)
    attachment = pdf_factory(3)  # type: ignore[operator]

    result = services.signature_sign_as_organization(
        actor=people.clerk.account,
        pdf=attachment,
        key_id=people.seal_key.pk,
        secret=PASSWORD,
        reference="15/QĐ-UBND",
        attachment_of=main.sha256_after,
    )

    [(_name, page, box)] = pdf.signature_widgets(pdf.read_pdf(result.pdf))
    assert page == 0
    assert box[2] > 500  # right …
    assert box[3] > 780  # … and top of an A4 page


def test_with_a_timestamp_authority_configured_signatures_are_b_t(
    people: People, one_page: bytes, tsa_url: str, dev_ca: Ca
) -> None:
    TimestampAuthority.objects.create(name="Local", url=tsa_url, timeout_seconds=5)

    result = _sign_person(people, one_page)

    assert result.record.level == "B-T"
    [report] = verify.verify_pdf(result.pdf, [dev_ca.root_der])
    assert report.level == "B-T"
    assert report.ok


def test_a_leaf_certificate_cannot_become_a_trusted_root(dev_ca: Ca) -> None:
    leaf = dev_ca.ca.officers["head"].certificate.public_bytes(serialization.Encoding.PEM)
    with pytest.raises(ValidationFailed):
        services.trusted_root_add(actor=None, certificate=leaf)
    assert TrustedRoot.objects.count() == 0


def test_only_the_province_it_admin_manages_trust(people: People, dev_ca: Ca) -> None:
    with pytest.raises(PermissionDenied):
        services.trusted_root_add(actor=people.head.account, certificate=dev_ca.root_pem)


def test_expired_key_on_record_signs_nothing(people: People, one_page: bytes) -> None:
    later = timezone.now() + timedelta(days=4 * 365)
    with pytest.raises(CertificateExpired):
        services.signature_sign_as_person(
            actor=people.head.account,
            pdf=one_page,
            key_id=people.head_key.pk,
            secret=PASSWORD,
            now=later,
        )
    assert SignatureRecord.objects.count() == 0
