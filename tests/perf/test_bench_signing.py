"""Signatures per second (1 page and 50 pages, PAdES B-B, PKCS#12; B-T and B-LT with the
in-process timestamp authority and the dev CA's CRL) and verifications per second.

The baseline, measured in the same run, is a SHA-256 of the 50-page PDF: the cheapest thing
that reads the whole document. Run with `make bench` (pytest-benchmark); figures go in the
closing note of the signing work, ratios let another machine compare.
"""

from __future__ import annotations

import hashlib
import io

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import ValidationContext
from reportlab.pdfgen import canvas

from egov.signing import devca, keys, pdf, stamps, verify
from egov.signing.tsa import LocalTimestampAuthority

PASSWORD = "bench-password"


def _pdf(pages: int) -> bytes:
    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer)
    for n in range(pages):
        for line in range(40):
            doc.drawString(72, 780 - line * 18, f"Trang {n + 1}, dòng {line + 1}: nội dung văn bản")
        doc.showPage()
    doc.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def material() -> dict[str, object]:
    ca = devca.build_dev_ca(
        seal_org_code="H51",
        seal_org_name="Ủy ban nhân dân tỉnh Quảng Ngãi",
        officers=[devca.OfficerCert("head", "Nguyễn Hữu Phúc", "UBND tỉnh Quảng Ngãi", "")],
        password=PASSWORD,
    )
    p12 = ca.officers["head"].pkcs12(PASSWORD)
    loaded = keys.signer_for(keys.Pkcs12Source(p12), PASSWORD, cached=False)
    one, fifty = _pdf(1), _pdf(50)
    root = ca.root.certificate.public_bytes(serialization.Encoding.DER)
    tsa = LocalTimestampAuthority(ca.tsa.certificate, ca.tsa.key, [ca.root.certificate])
    return {
        "tsa": tsa.timestamper(),
        "crl": ca.crl(),
        "loaded": loaded,
        "p12": p12,
        "one": one,
        "fifty": fifty,
        "signed": pdf.sign_pdf(fifty, loaded=loaded),
        "root": root,
    }


def _visible(data: bytes) -> pdf.StampRequest:
    reader = pdf.read_pdf(data)
    page = pdf.page_count(reader) - 1
    return pdf.StampRequest(
        stamps.StampText(stamps.Kind.PERSON, ("CHỦ TỊCH", "Nguyễn Hữu Phúc", "2026-01-05")),
        page,
        stamps.place(stamps.DEFAULT_PLACEMENTS["person"], pdf.page_media_box(reader, page)),
    )


def test_bench_baseline_sha256_of_50_pages(benchmark, material) -> None:  # type: ignore[no-untyped-def]
    benchmark(hashlib.sha256, material["fifty"])


def test_bench_sign_1_page_b_b(benchmark, material) -> None:  # type: ignore[no-untyped-def]
    benchmark(pdf.sign_pdf, material["one"], loaded=material["loaded"])


def test_bench_sign_50_pages_b_b(benchmark, material) -> None:  # type: ignore[no-untyped-def]
    benchmark(pdf.sign_pdf, material["fifty"], loaded=material["loaded"])


def test_bench_sign_1_page_visible_stamp(benchmark, material) -> None:  # type: ignore[no-untyped-def]
    data = material["one"]
    benchmark(lambda: pdf.sign_pdf(data, loaded=material["loaded"], stamp=_visible(data)))


def test_bench_open_pkcs12_key_uncached(benchmark, material) -> None:  # type: ignore[no-untyped-def]
    source = keys.Pkcs12Source(material["p12"])
    benchmark(lambda: keys.signer_for(source, PASSWORD, cached=False))


def test_bench_verify_in_process(benchmark, material) -> None:  # type: ignore[no-untyped-def]
    reports = benchmark(verify.verify_pdf, material["signed"], [material["root"]])
    assert reports[0].ok


def test_bench_verify_bounded_child(benchmark, material) -> None:  # type: ignore[no-untyped-def]
    reports = benchmark.pedantic(
        verify.verify_pdf_bounded, args=(material["signed"], [material["root"]]), rounds=5
    )
    assert reports[0].ok


def _context(material: dict[str, object]) -> ValidationContext:
    """A fresh context per signature, as the signing service builds one (CRL offline)."""
    return ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(material["root"])],  # type: ignore[arg-type]
        crls=[material["crl"]],  # type: ignore[list-item]
        allow_fetching=False,
        revocation_mode="soft-fail",
    )


def test_bench_sign_1_page_b_t(benchmark, material) -> None:  # type: ignore[no-untyped-def]
    benchmark(pdf.sign_pdf, material["one"], loaded=material["loaded"], timestamper=material["tsa"])


def test_bench_sign_1_page_b_lt(benchmark, material) -> None:  # type: ignore[no-untyped-def]
    data = material["one"]
    benchmark(
        lambda: pdf.sign_pdf(
            data,
            loaded=material["loaded"],
            timestamper=material["tsa"],
            validation_context=_context(material),
        )
    )


def test_bench_verify_b_lt_in_process(benchmark, material) -> None:  # type: ignore[no-untyped-def]
    signed = pdf.sign_pdf(
        material["fifty"],
        loaded=material["loaded"],
        timestamper=material["tsa"],
        validation_context=_context(material),
    )
    reports = benchmark(verify.verify_pdf, signed, [material["root"]])
    assert (reports[0].level, reports[0].ok) == ("B-LT", True)
