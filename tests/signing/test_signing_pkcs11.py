"""Keys on a PKCS#11 token: a throw-away SoftHSM token per test stands in for an HSM.

SoftHSM reads SOFTHSM2_CONF when the module is initialised, so the fixture points it at a
token directory in tmp_path and re-initialises the (process-wide) module.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from directory_factories import OfficerFactory, OrganizationFactory, PositionFactory
from django.test import Client, override_settings
from django.utils import translation
from pkcs11 import Attribute
from pkcs11.util.rsa import decode_rsa_private_key
from pkcs11.util.x509 import decode_x509_certificate

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry
from egov.directory.models import Officer, Organization, Role, RoleAssignment, Scope
from egov.signing import keys, pdf, services, verify
from egov.signing.errors import TokenUnavailable, WrongSecret
from egov.signing.models import SignatureRecord, SigningKey, TrustedRoot

from .conftest import PASSWORD, Ca

pytestmark = pytest.mark.django_db

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN = "egov-test"
PIN = "1234"
SO_PIN = "5678"
KEY_LABEL = "officer"


def _write_key(session: Any, issued: Any, label: str, key_id: bytes) -> None:
    """The officer's private key and certificate as token objects (as a CA's tool would)."""
    der = issued.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    private = decode_rsa_private_key(der)
    private.update(
        {
            Attribute.TOKEN: True,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.SIGN: True,
            Attribute.LABEL: label,
            Attribute.ID: key_id,
        }
    )
    session.create_object(private)
    cert = decode_x509_certificate(issued.certificate.public_bytes(serialization.Encoding.DER))
    cert.update({Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: key_id})
    session.create_object(cert)


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dev_ca: Ca) -> Iterator[str]:
    """A fresh SoftHSM token holding the head's key and certificate (label "officer") and
    the deputy's (label "deputy"); every PKCS#11 session is closed afterwards."""
    keys.signer_cache.forget()
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN]
        + ["--pin", PIN, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
        timeout=30,
    )
    lib = pkcs11.lib(MODULE)
    lib.reinitialize()  # read this test's configuration
    with lib.get_token(token_label=TOKEN).open(user_pin=PIN, rw=True) as session:
        _write_key(session, dev_ca.ca.officers["head"], KEY_LABEL, b"\x01")
        _write_key(session, dev_ca.ca.officers["deputy"], "deputy", b"\x02")
    yield TOKEN
    keys.signer_cache.forget()
    assert len(keys.token_logins) == 0  # every session was closed
    lib.finalize()


@dataclass
class People:
    province: Organization
    head: Officer
    deputy: Officer
    it_admin: Officer


def _officer(unit: Organization, role: str, code: str, name: str = "Chủ tịch") -> Officer:
    officer = OfficerFactory(unit=unit, position=PositionFactory(code=code, name_vi=name))
    RoleAssignment.objects.create(officer=officer, role=role, scope=Scope.ORGANIZATION)
    return officer


@pytest.fixture
def people(dev_ca: Ca) -> People:
    services.trusted_root_add(actor=None, certificate=dev_ca.root_pem)
    province = OrganizationFactory(committee=True, name_vi="Ủy ban nhân dân tỉnh Thử Nghiệm")
    office = OrganizationFactory(unit=True, parent=province)
    return People(
        province,
        head=_officer(province, Role.HEAD, "chu-tich"),
        deputy=_officer(province, Role.OFFICER, "pho-chu-tich", "Phó Chủ tịch"),
        it_admin=_officer(office, Role.IT_ADMIN, "cntt", "Chuyên viên CNTT"),
    )


def _register(people: People, **kwargs: Any) -> SigningKey:
    args: dict[str, Any] = {
        "actor": None,
        "module_path": MODULE,
        "token_label": TOKEN,
        "key_label": KEY_LABEL,
        "officer": people.head,
        "pin": PIN,
    }
    args.update(kwargs)
    return services.signing_key_register_pkcs11(**args)


def _sign(people: People, key: SigningKey, data: bytes, secret: str = PIN) -> Any:
    return services.signature_sign_as_person(
        actor=people.head.account, pdf=data, key_id=key.pk, secret=secret, reason="Phê duyệt"
    )


def _pdfsig(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=30)
    return done.stdout + done.stderr


@pytest.fixture
def logins(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every PKCS#11 login the platform makes, by token label."""
    calls: list[str] = []
    opener = keys._open_token_session

    def spy(module_path: str, token_label: str, pin: str) -> Any:
        calls.append(token_label)
        return opener(module_path, token_label, pin)

    monkeypatch.setattr(keys, "_open_token_session", spy)
    return calls


def test_it_admin_registers_a_token_key_checked_on_the_token(
    token: str, people: People, dev_ca: Ca
) -> None:
    audit_before = AuditEntry.objects.count()

    key = _register(people, actor=people.it_admin.account)

    key.refresh_from_db()
    assert key.kind == SigningKey.Kind.PKCS11
    assert (key.pkcs11_module, key.pkcs11_token_label, key.pkcs11_key_label) == (
        MODULE,
        TOKEN,
        KEY_LABEL,
    )
    assert key.pkcs12_sealed is None
    assert key.officer_id == people.head.pk
    assert key.fingerprint == dev_ca.ca.officers["head"].fingerprint
    assert AuditEntry.objects.count() == audit_before + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None
    assert entry.action == "signing.key_register_pkcs11"
    assert entry.summary["after"]["checked_on_token"] is True
    assert PIN not in str(entry.summary)
    assert len(keys.token_logins) == 0  # the check logged out again


def test_head_signs_with_the_token_key_valid_for_pyhanko_and_pdfsig(
    token: str, people: People, one_page: bytes, tmp_path: Path
) -> None:
    key = _register(people)
    audit_before = AuditEntry.objects.count()

    result = _sign(people, key, one_page)

    record = SignatureRecord.objects.get()
    assert record == result.record
    assert record.key_id == key.pk
    assert record.certificate_fingerprint == key.fingerprint
    assert record.sha256_after == pdf.sha256_hex(result.pdf)
    assert AuditEntry.objects.count() == audit_before + 1
    [report] = verify.verify_pdf(
        result.pdf, [bytes(r.certificate_der) for r in TrustedRoot.objects.all()]
    )
    assert (report.intact, report.valid, report.chain_status) == (True, True, verify.TRUSTED)
    assert report.signer_name == "Nguyễn Hữu Phúc"
    assert report.ok is True
    out = _pdfsig(tmp_path, result.pdf)
    assert "Signature Validation: Signature is Valid." in out
    assert "Nguyễn Hữu Phúc" in out


def test_a_second_signature_reuses_the_logged_in_session(
    token: str, people: People, one_page: bytes, logins: list[str]
) -> None:
    key = _register(people)
    logins.clear()  # the registration's own check logged in and out

    first = _sign(people, key, one_page)
    second = _sign(people, key, first.pdf)

    assert logins == [TOKEN]
    assert len(keys.token_logins) == 1
    assert SignatureRecord.objects.count() == 2
    [_, report] = verify.verify_pdf(
        second.pdf, [bytes(r.certificate_der) for r in TrustedRoot.objects.all()]
    )
    assert report.ok is True


def test_two_keys_on_one_token_share_its_login(
    token: str, people: People, one_page: bytes, logins: list[str]
) -> None:
    head_key = _register(people)
    deputy_key = _register(people, key_label="deputy", officer=people.deputy)
    logins.clear()

    head = keys.signer_for(services.key_source(head_key), PIN)
    deputy = keys.signer_for(services.key_source(deputy_key), PIN)

    assert logins == [TOKEN]
    assert head.fingerprint == head_key.fingerprint
    assert deputy.fingerprint == deputy_key.fingerprint
    assert head.signer.pkcs11_session is deputy.signer.pkcs11_session  # type: ignore[attr-defined]


def test_wrong_pin_signs_nothing_and_records_nothing(
    token: str, people: People, one_page: bytes
) -> None:
    key = _register(people)
    audit_before = AuditEntry.objects.count()

    with translation.override("vi"), pytest.raises(WrongSecret) as caught:
        _sign(people, key, one_page, secret="0000")

    assert caught.value.code == "signing.wrong_secret"
    with translation.override("vi"):  # the message is lazy: read it in Vietnamese
        assert str(caught.value.message) == "Mật khẩu hoặc mã PIN của khóa ký không đúng."
    assert SignatureRecord.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before
    assert len(keys.token_logins) == 0


def test_wrong_pin_after_a_signature_is_judged_by_the_token_too(
    token: str, people: People, one_page: bytes, logins: list[str]
) -> None:
    key = _register(people)
    _sign(people, key, one_page)
    audit_before = AuditEntry.objects.count()

    with pytest.raises(WrongSecret):
        _sign(people, key, one_page, secret="0000")

    assert SignatureRecord.objects.count() == 1
    assert AuditEntry.objects.count() == audit_before
    # the idle session was logged out so that the token could check the other PIN
    assert logins[-1] == TOKEN
    assert len(keys.token_logins) == 0
    _sign(people, key, one_page)  # the right PIN logs in again
    assert SignatureRecord.objects.count() == 2


def test_token_not_connected_is_token_unavailable_and_signs_nothing(
    token: str, people: People, one_page: bytes, dev_ca: Ca
) -> None:
    cert = dev_ca.ca.officers["head"].certificate.public_bytes(serialization.Encoding.PEM)
    key = _register(people, token_label="not-plugged-in", certificate=cert, pin=None)
    audit_before = AuditEntry.objects.count()

    with translation.override("vi"), pytest.raises(TokenUnavailable) as caught:
        _sign(people, key, one_page)

    assert caught.value.code == "signing.token_unavailable"
    with translation.override("vi"):
        assert str(caught.value.message) == "Không kết nối được thiết bị ký số (token hoặc HSM)."
    assert caught.value.details == {"token": "not-plugged-in"}
    assert SignatureRecord.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_key_missing_on_the_token_is_token_unavailable(
    token: str, people: People, one_page: bytes, dev_ca: Ca
) -> None:
    cert = dev_ca.ca.officers["head"].certificate.public_bytes(serialization.Encoding.PEM)
    key = _register(people, key_label="no-such-key", certificate=cert, pin=None)

    with pytest.raises(TokenUnavailable) as caught:
        _sign(people, key, one_page)

    assert caught.value.details == {"token": TOKEN, "key": "no-such-key"}
    assert SignatureRecord.objects.count() == 0
    assert len(keys.token_logins) == 0  # the session opened for it was closed


def test_token_key_that_is_not_the_registered_certificate_signs_nothing(
    token: str, people: People, one_page: bytes, dev_ca: Ca
) -> None:
    cert = dev_ca.ca.officers["plain"].certificate.public_bytes(serialization.Encoding.PEM)
    key = _register(people, certificate=cert, pin=None)

    with translation.override("vi"), pytest.raises(WrongSecret) as caught:
        _sign(people, key, one_page)

    assert str(caught.value.message) == "Khóa không khớp với chứng thư số đã đăng ký."

    assert SignatureRecord.objects.count() == 0


def test_registration_refusals_write_nothing(token: str, people: People, dev_ca: Ca) -> None:
    other = dev_ca.ca.officers["plain"].certificate.public_bytes(serialization.Encoding.PEM)
    with pytest.raises(PermissionDenied):
        _register(people, actor=people.head.account)
    with pytest.raises(WrongSecret):
        _register(people, pin="0000")
    with pytest.raises(ValidationFailed) as caught:
        _register(people, certificate=other)
    assert caught.value.field == "certificate"
    with pytest.raises(ValidationFailed) as caught:
        _register(people, pin=None)
    assert caught.value.field == "certificate"
    with pytest.raises(ValidationFailed) as caught:
        _register(people, module_path="libsofthsm2.so")
    assert caught.value.field == "module_path"
    allow_other = override_settings(EGOV_SIGNING_PKCS11_MODULES=["/opt/vendor/libtoken.so"])
    with allow_other, pytest.raises(ValidationFailed) as caught:
        _register(people)
    assert caught.value.field == "module_path"
    assert SigningKey.objects.count() == 0
    assert AuditEntry.objects.filter(action="signing.key_register_pkcs11").count() == 0


def test_evicted_signer_is_closed_after_the_signature_holding_it(
    token: str, people: People, dev_ca: Ca
) -> None:
    key = _register(people)
    cache = keys._SignerCache(1)
    source = services.key_source(key)

    with cache.lease(source, PIN) as loaded:
        cache.get_or_open(keys.Pkcs12Source(dev_ca.p12("plain")), PASSWORD)  # evicts it
        assert len(cache) == 1
        assert len(keys.token_logins) == 1  # still open: a signature holds it
        assert loaded.closer is not None
    assert loaded.closer is None
    assert len(keys.token_logins) == 0

    idle = cache.get_or_open(source, PIN)
    cache.get_or_open(keys.Pkcs12Source(dev_ca.p12("plain")), PASSWORD)
    assert idle.closer is None  # evicted while idle: closed at once
    assert len(keys.token_logins) == 0


def test_it_admin_registers_a_token_key_in_the_admin(
    token: str, people: People, client: Client
) -> None:
    account = people.it_admin.account
    account.is_staff = account.is_superuser = True
    account.save()
    client.force_login(account)
    url = "/quan-tri/signing/signingkey/add/"
    assert 'name="pkcs11_module"' in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "label": "Khóa trên token",
            "officer": people.head.pk,
            "pkcs11_module": MODULE,
            "pkcs11_token_label": TOKEN,
            "pkcs11_key_label": KEY_LABEL,
            "pin": PIN,
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    key = SigningKey.objects.get()
    assert (key.kind, key.label, key.officer_id) == ("pkcs11", "Khóa trên token", people.head.pk)
    assert AuditEntry.objects.filter(action="signing.key_register_pkcs11").count() == 1


def test_only_listed_modules_may_be_registered_when_the_setting_lists_them(
    settings: Any, tmp_path: Path
) -> None:
    from egov.core.errors import ValidationFailed
    from egov.signing.services import _check_pkcs11_module

    module = tmp_path / "vendor.so"
    module.write_bytes(b"\x7fELF")
    settings.EGOV_SIGNING_PKCS11_MODULES = []
    _check_pkcs11_module(str(module))  # empty list: any existing absolute path
    settings.EGOV_SIGNING_PKCS11_MODULES = ["/usr/lib/other.so"]
    with pytest.raises(ValidationFailed):
        _check_pkcs11_module(str(module))
    with pytest.raises(ValidationFailed):
        _check_pkcs11_module("relative/vendor.so")
