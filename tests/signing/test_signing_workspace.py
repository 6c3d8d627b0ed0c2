"""The officer's signing screen /lam-viec/ky-so/: who sees which form, signing, downloading."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from directory_factories import (
    ApplicantFactory,
    DelegationFactory,
    OfficerFactory,
    OrganizationFactory,
    PositionFactory,
)
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from egov.core.models import StoredFile
from egov.directory.models import Officer, Role, RoleAssignment, Scope
from egov.signing import keys, pdf, services, verify
from egov.signing.models import SignatureRecord, SigningKey

from .conftest import PASSWORD, Ca

pytestmark = pytest.mark.django_db
URL = "/lam-viec/ky-so/"


@dataclass
class Office:
    head: Officer
    deputy: Officer
    clerk: Officer
    plain: Officer
    head_key: SigningKey
    deputy_key: SigningKey
    plain_key: SigningKey
    seal_key: SigningKey


@pytest.fixture
def office(dev_ca: Ca) -> Office:
    keys.signer_cache.forget()
    services.trusted_root_add(actor=None, certificate=dev_ca.root_pem)
    province = OrganizationFactory(committee=True, name_vi="Ủy ban nhân dân tỉnh Thử Nghiệm")
    unit = OrganizationFactory(unit=True, parent=province)
    head = OfficerFactory(unit=province, position=PositionFactory(code="ct", name_vi="Chủ tịch"))
    deputy = OfficerFactory(unit=province, position=PositionFactory(code="pct", name_vi="Phó"))
    clerk = OfficerFactory(unit=unit)
    plain = OfficerFactory(unit=unit)
    RoleAssignment.objects.create(officer=head, role=Role.HEAD, scope=Scope.ORGANIZATION)
    RoleAssignment.objects.create(officer=clerk, role=Role.CLERK, scope=Scope.ORGANIZATION)

    def imported(username: str, officer: Officer) -> SigningKey:
        return services.signing_key_import_pkcs12(
            actor=None, data=dev_ca.p12(username), password=PASSWORD, officer=officer
        )

    return Office(
        head,
        deputy,
        clerk,
        plain,
        imported("head", head),
        imported("deputy", deputy),
        imported("plain", plain),
        services.signing_key_import_pkcs12(
            actor=None, data=dev_ca.seal_p12(), password=PASSWORD, organization=province
        ),
    )


def _client(officer: Officer) -> Client:
    client = Client()
    client.force_login(officer.account)
    return client


def _upload(data: bytes, name: str = "quyet-dinh.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "application/pdf")


def _sign_person(client: Client, key: SigningKey, data: bytes, secret: str = PASSWORD) -> object:
    return client.post(
        URL,
        {
            "action": "person",
            "person-file": _upload(data),
            "person-key": key.pk,
            "person-secret": secret,
            "person-reason": "Phê duyệt",
            "person-visible": "on",
        },
    )


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/dang-nhap/?next=/lam-viec/ky-so/"


def test_a_citizen_is_refused() -> None:
    client = Client()
    client.force_login(ApplicantFactory().account)
    assert client.get(URL).status_code == 403


def test_officer_without_a_usable_key_is_told_so(office: Office) -> None:
    response = _client(office.plain).get(URL)  # has a key, but no power to sign
    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="no-key"' in text
    assert 'data-form="person"' not in text
    assert 'data-form="seal"' not in text


def test_head_sees_only_the_personal_form_with_own_key(office: Office) -> None:
    text = _client(office.head).get(URL).content.decode()
    assert 'data-form="person"' in text
    assert 'data-form="seal"' not in text
    assert f'value="{office.head_key.pk}"' in text
    assert f'value="{office.deputy_key.pk}"' not in text


def test_deputy_sees_a_key_only_with_a_delegation(office: Office) -> None:
    assert 'data-form="person"' not in _client(office.deputy).get(URL).content.decode()
    DelegationFactory(delegator=office.head, deputy=office.deputy)

    text = _client(office.deputy).get(URL).content.decode()

    assert f'value="{office.deputy_key.pk}"' in text
    assert f'value="{office.head_key.pk}"' not in text


def test_clerk_sees_the_seal_form(office: Office) -> None:
    text = _client(office.clerk).get(URL).content.decode()
    assert 'data-form="seal"' in text
    assert 'data-form="person"' not in text
    assert f'value="{office.seal_key.pk}"' in text


def test_head_signs_an_upload_and_downloads_the_signed_pdf(
    office: Office, one_page: bytes, dev_ca: Ca
) -> None:
    client = _client(office.head)

    response = _sign_person(client, office.head_key, one_page)

    record = SignatureRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/lam-viec/ky-so/{record.pk}/"
    assert record.signed_file is not None
    assert record.signed_file.sha256 == record.sha256_after
    page = client.get(response["Location"]).content.decode()
    assert record.sha256_after in page
    download = client.get(f"/lam-viec/ky-so/{record.pk}/tai-ve/")
    assert download.status_code == 200
    signed = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert pdf.sha256_hex(signed) == record.sha256_after
    [report] = verify.verify_pdf(signed, [dev_ca.root_der])
    assert report.ok
    assert report.reason == "Phê duyệt"
    # Someone else cannot download it.
    assert _client(office.clerk).get(f"/lam-viec/ky-so/{record.pk}/tai-ve/").status_code == 404


def test_wrong_password_shows_a_vietnamese_error_at_the_field_and_stores_nothing(
    office: Office, one_page: bytes
) -> None:
    client = _client(office.head)
    client.cookies["django_language"] = "vi"

    response = _sign_person(client, office.head_key, one_page, secret="sai-mat-khau")

    text = response.content.decode()
    assert response.status_code == 422
    assert (
        '<ul class="errorlist" id="id_person-secret_error"><li>'
        "Mật khẩu hoặc mã PIN của khóa ký không đúng.</li></ul>"
    ) in text
    assert 'aria-describedby="id_person-secret_error"' in text
    assert SignatureRecord.objects.count() == 0
    assert StoredFile.objects.count() == 0


def test_a_file_that_is_not_a_pdf_is_refused_at_the_file_field(
    office: Office, one_page: bytes
) -> None:
    client = _client(office.head)
    response = _sign_person(client, office.head_key, b"\x89PNG\r\n\x1a\n" + b"0" * 50)
    assert response.status_code == 422
    assert 'id="id_person-file_error"' in response.content.decode()
    assert SignatureRecord.objects.count() == 0


def test_nobody_signs_with_a_key_not_offered_to_them(office: Office, one_page: bytes) -> None:
    response = _sign_person(_client(office.clerk), office.head_key, one_page)
    assert response.status_code == 403
    assert SignatureRecord.objects.count() == 0


def test_clerk_seals_a_document_the_head_signed(office: Office, one_page: bytes) -> None:
    head = _client(office.head)
    _sign_person(head, office.head_key, one_page)
    signed_by_head = b"".join(
        head.get(f"/lam-viec/ky-so/{SignatureRecord.objects.get().pk}/tai-ve/").streaming_content  # type: ignore[attr-defined]
    )
    clerk = _client(office.clerk)

    response = clerk.post(
        URL,
        {
            "action": "seal",
            "seal-file": _upload(signed_by_head),
            "seal-key": office.seal_key.pk,
            "seal-secret": PASSWORD,
            "seal-reference": "15/QĐ-UBND",
            "seal-visible": "on",
        },
    )

    assert response.status_code == 302
    seal = SignatureRecord.objects.get(kind=SignatureRecord.Kind.ORGANIZATION)
    assert seal.reference == "15/QĐ-UBND"
    assert seal.verification_code
    assert seal.signed_file is not None


def test_clerk_cannot_seal_an_unsigned_pdf(office: Office, one_page: bytes) -> None:
    client = _client(office.clerk)
    client.cookies["django_language"] = "vi"
    response = client.post(
        URL,
        {
            "action": "seal",
            "seal-file": _upload(one_page),
            "seal-key": office.seal_key.pk,
            "seal-secret": PASSWORD,
        },
    )
    assert response.status_code == 422
    assert (
        '<ul class="errorlist" id="id_seal-file_error"><li>Chỉ được ký số của cơ quan'
        in response.content.decode()
    )
    assert SignatureRecord.objects.count() == 0
    assert StoredFile.objects.count() == 0
