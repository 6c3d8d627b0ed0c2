"""PAdES signing and verification with the development CA, checked by pyHanko and poppler."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from reportlab.pdfgen import canvas

from egov.signing import devca, keys, pdf, stamps, verify
from egov.signing.errors import (
    BrokenSignature,
    CertificateExpired,
    CorruptPdf,
    EncryptedPdf,
    VerificationFailed,
    WrongSecret,
)
from egov.signing.tsa import HttpTimeStamper

from .conftest import PASSWORD, Ca


def _person_stamp(data: bytes, name: str) -> pdf.StampRequest:
    reader = pdf.read_pdf(data)
    page = pdf.page_count(reader) - 1
    placement = stamps.DEFAULT_PLACEMENTS[stamps.Kind.PERSON]
    return pdf.StampRequest(
        stamps.StampText(stamps.Kind.PERSON, ("CHỦ TỊCH", name, "Ký ngày: 2026-01-05")),
        page,
        stamps.place(placement, pdf.page_media_box(reader, page)),
    )


def _sign(dev_ca: Ca, data: bytes, who: str = "head", **kwargs: object) -> bytes:
    return pdf.sign_pdf(data, loaded=dev_ca.signer(who), **kwargs)  # type: ignore[arg-type]


def _pdfsig(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=30)
    return done.stdout + done.stderr


def test_signed_pdf_is_valid_for_pyhanko_and_trusted_against_the_dev_root(
    dev_ca: Ca, one_page: bytes
) -> None:
    signed = _sign(dev_ca, one_page, reason="Phê duyệt", stamp=_person_stamp(one_page, "X"))

    [report] = verify.verify_pdf(signed, [dev_ca.root_der])

    assert report.signer_name == "Nguyễn Hữu Phúc"
    assert report.signer_organization == "Ủy ban nhân dân tỉnh Thử Nghiệm"
    assert report.signer_uid == "head"
    assert report.reason == "Phê duyệt"
    assert (report.intact, report.valid, report.chain_status) == (True, True, verify.TRUSTED)
    assert report.modification == verify.UNCHANGED
    assert report.level == "B-B"
    assert report.ok is True


def test_signature_is_valid_for_poppler_pdfsig(dev_ca: Ca, one_page: bytes, tmp_path: Path) -> None:
    signed = _sign(dev_ca, one_page, stamp=_person_stamp(one_page, "X"))

    out = _pdfsig(tmp_path, signed)

    assert "Signer Certificate Common Name: Nguyễn Hữu Phúc" in out
    assert "Signature Validation: Signature is Valid." in out
    assert "Total document signed" in out
    assert "ETSI.CAdES.detached" in out


def test_without_the_root_configured_the_chain_is_not_trusted(dev_ca: Ca, one_page: bytes) -> None:
    signed = _sign(dev_ca, one_page)

    [report] = verify.verify_pdf(signed, [])

    assert (report.intact, report.valid, report.chain_status) == (True, True, verify.UNTRUSTED)
    assert report.ok is False


def test_a_byte_changed_after_signing_is_detected(
    dev_ca: Ca, one_page: bytes, tmp_path: Path
) -> None:
    signed = _sign(dev_ca, one_page)
    position = signed.index(b"trang 1")  # inside the signed page content
    tampered = signed[:position] + b"X" + signed[position + 1 :]

    [report] = verify.verify_pdf(tampered, [dev_ca.root_der])

    assert report.intact is False
    assert report.chain_status == verify.INVALID
    assert report.modification == verify.MODIFIED
    assert report.ok is False
    assert "Signature Validation: Digest Mismatch." in _pdfsig(tmp_path, tampered)


def test_second_signature_keeps_the_first_valid(
    dev_ca: Ca, one_page: bytes, tmp_path: Path
) -> None:
    first = _sign(dev_ca, one_page, stamp=_person_stamp(one_page, "Một"))
    second = _sign(dev_ca, first, who="deputy")

    reports = verify.verify_pdf(second, [dev_ca.root_der])

    assert [r.signer_uid for r in reports] == ["head", "deputy"]
    assert [r.modification for r in reports] == [verify.SIGNATURES_ADDED, verify.UNCHANGED]
    assert all(r.ok for r in reports)
    out = _pdfsig(tmp_path, second)
    assert out.count("Signature Validation: Signature is Valid.") == 2


def test_b_t_with_the_local_timestamp_responder_validates(
    dev_ca: Ca, one_page: bytes, tsa_url: str, tmp_path: Path
) -> None:
    before = timezone.now()
    signed = _sign(dev_ca, one_page, timestamper=HttpTimeStamper(tsa_url, timeout=5))

    [report] = verify.verify_pdf(signed, [dev_ca.root_der])

    assert report.level == "B-T"
    assert report.timestamp_time is not None
    assert before - timedelta(seconds=1) <= report.timestamp_time <= timezone.now()
    assert report.ok is True
    assert "Signature Validation: Signature is Valid." in _pdfsig(tmp_path, signed)


def test_unreachable_timestamp_authority_signs_nothing(dev_ca: Ca, one_page: bytes) -> None:
    with pytest.raises(pdf.TimestampFailed):
        _sign(dev_ca, one_page, timestamper=HttpTimeStamper("http://127.0.0.1:9/", timeout=2))


def test_wrong_password_opens_no_key(dev_ca: Ca) -> None:
    with pytest.raises(WrongSecret) as caught:
        keys.signer_for(keys.Pkcs12Source(dev_ca.p12("head")), "not-the-password")
    assert caught.value.code == "signing.wrong_secret"


def test_signer_cache_reuses_an_opened_key_and_is_bounded(dev_ca: Ca) -> None:
    cache = keys._SignerCache(2)
    source = keys.Pkcs12Source(dev_ca.p12("head"))
    first = cache.get_or_open(source, PASSWORD)
    assert cache.get_or_open(source, PASSWORD) is first
    with pytest.raises(WrongSecret):
        cache.get_or_open(source, "wrong")
    cache.get_or_open(keys.Pkcs12Source(dev_ca.p12("deputy")), PASSWORD)
    cache.get_or_open(keys.Pkcs12Source(dev_ca.p12("plain")), PASSWORD)
    assert len(cache) == 2
    assert cache.get_or_open(source, PASSWORD) is not first  # evicted, opened again


def test_key_material_is_encrypted_at_rest_and_opens_again(dev_ca: Ca) -> None:
    data = dev_ca.p12("head")
    sealed = keys.seal_key_material(data)
    assert data not in sealed
    assert keys.open_key_material(sealed) == data


def test_expired_certificate_is_refused(dev_ca: Ca) -> None:
    now = timezone.now()
    old = devca.issue(
        dev_ca.ca.root,
        common_name="Hết Hạn",
        not_before=now - timedelta(days=400),
        not_after=now - timedelta(days=1),
    )
    with pytest.raises(CertificateExpired):
        keys.check_certificate_period(old.certificate)


def test_encrypted_pdf_is_refused(dev_ca: Ca, tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    locked = canvas.Canvas(str(path), encrypt="secret")
    locked.drawString(72, 700, "mật")
    locked.save()
    with pytest.raises(EncryptedPdf):
        _sign(dev_ca, path.read_bytes())


@pytest.mark.parametrize(
    "data", [b"not a pdf at all", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF", b"%PDF-"]
)
def test_corrupt_pdf_is_refused(dev_ca: Ca, data: bytes) -> None:
    with pytest.raises(CorruptPdf):
        _sign(dev_ca, data)


def test_pdf_with_a_broken_signature_is_not_signed_again(dev_ca: Ca, one_page: bytes) -> None:
    signed = _sign(dev_ca, one_page)
    position = signed.index(b"trang 1")
    tampered = signed[:position] + b"Y" + signed[position + 1 :]
    with pytest.raises(BrokenSignature) as caught:
        _sign(dev_ca, tampered, who="deputy")
    assert caught.value.code == "signing.broken_signature"


def test_stamp_font_has_the_vietnamese_letters() -> None:
    font = stamps._vietnamese_font()
    assert all(ord(ch) in font.face.charToGlyph for ch in "Ủy ban nhân dân tỉnh Quảng Ngãi")


def test_seal_overlaps_the_left_third_of_the_person_stamp() -> None:
    person = (300.0, 100.0, 526.0, 200.0)
    seal = stamps.seal_over(person, stamps.DEFAULT_PLACEMENTS[stamps.Kind.SEAL])
    assert seal[2] == pytest.approx(300.0 + 226.0 / 3, abs=0.01)
    assert seal[0] < person[0] < seal[2]
    assert (seal[1] + seal[3]) / 2 == pytest.approx(150.0, abs=0.01)


# --- hostile files, verified in the bounded child process --------------------------------------


def _deep_nesting(depth: int) -> bytes:
    body = b"[" * depth + b"]" * depth
    return (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X " + body + b" >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R /Size 3 >>\n%%EOF\n"
    )


def _huge_object_count(count: int) -> bytes:
    objects = b"".join(b"%d 0 obj\n[%d]\nendobj\n" % (n, n) for n in range(3, count))
    return (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        + objects
        + b"xref\n0 999999999\n0000000000 65535 f \ntrailer\n<< /Root 1 0 R /Size 999999999 >>\n"
        b"startxref\n999999\n%%EOF\n"
    )


def _broken_xref(signed: bytes) -> bytes:
    return signed.replace(b"startxref", b"startxref\n12345678901234567890\n", 1)


@pytest.mark.parametrize(
    "name",
    ["deep_nesting", "huge_object_count", "broken_xref", "truncated", "garbage"],
)
def test_hostile_pdfs_give_a_clear_error_in_bounded_time(
    dev_ca: Ca, one_page: bytes, name: str
) -> None:
    signed = _sign(dev_ca, one_page)
    samples = {
        "deep_nesting": _deep_nesting(200_000),
        "huge_object_count": _huge_object_count(200_000),
        "broken_xref": _broken_xref(signed),
        "truncated": signed[: len(signed) // 2],
        "garbage": b"%PDF-1.7\n" + bytes(range(256)) * 2000,
    }
    started = time.monotonic()
    reports: list[verify.SignatureReport] = []
    outcome = "reports"
    try:
        reports = verify.verify_pdf_bounded(samples[name], [dev_ca.root_der], timeout=15)
    except (CorruptPdf, VerificationFailed) as exc:
        outcome = exc.code
    assert outcome in {"reports", "signing.corrupt_pdf", "signing.verification_failed"}
    # pyHanko may recover a damaged file; what it recovers must not pass as a valid signature
    assert not any(r.ok for r in reports)
    assert time.monotonic() - started < 16


def test_bounded_verification_stops_at_the_time_limit(dev_ca: Ca, one_page: bytes) -> None:
    signed = _sign(dev_ca, one_page)
    with pytest.raises(VerificationFailed) as caught:
        verify.verify_pdf_bounded(signed, [dev_ca.root_der], timeout=0.05)
    assert caught.value.details == {"reason": "timeout"}


def test_bounded_verification_stops_at_the_memory_limit(dev_ca: Ca, one_page: bytes) -> None:
    signed = _sign(dev_ca, one_page)
    with pytest.raises(VerificationFailed):
        verify.verify_pdf_bounded(signed, [dev_ca.root_der], memory_mb=40)


def test_bounded_verification_gives_the_same_report(dev_ca: Ca, one_page: bytes) -> None:
    signed = _sign(dev_ca, one_page, reason="Ký số")
    assert verify.verify_pdf_bounded(signed, [dev_ca.root_der]) == verify.verify_pdf(
        signed, [dev_ca.root_der]
    )
