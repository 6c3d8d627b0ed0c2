"""`egov signing dev-ca | sign | verify` as operators and scripts use them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from egov.signing import devca, verify
from egov.signing.models import TrustedRoot
from egov.signing.services import trusted_root_add

from .conftest import make_pdf

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("signing", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dev-ca")
    code, _out, err = _run("dev-ca", "--out", str(out), "--no-register")
    assert code == 0, err
    return out


def test_dev_ca_writes_root_seal_officers_and_password(ca_dir: Path) -> None:
    manifest = json.loads((ca_dir / devca.MANIFEST_FILE).read_text())
    usernames = {o["username"] for o in manifest["officers"]}
    assert {"chutich.qni", "vanthu.vpubnd", "giamdoc.snv"} <= usernames
    assert (ca_dir / "seal-H51.p12").is_file()
    assert (ca_dir / devca.PASSWORD_FILE).stat().st_mode & 0o077 == 0
    assert (ca_dir / "officer-chutich.qni.p12").stat().st_mode & 0o077 == 0


def test_dev_ca_registers_its_root_as_trusted(tmp_path: Path) -> None:
    code, out, _err = _run("dev-ca", "--out", str(tmp_path))
    manifest = json.loads((tmp_path / devca.MANIFEST_FILE).read_text())
    assert code == 0
    assert list(TrustedRoot.objects.values_list("fingerprint", flat=True)) == [
        manifest["root"]["fingerprint"]
    ]


def test_sign_then_verify_exits_zero_when_all_are_intact_and_trusted(
    ca_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusted_root_add(actor=None, certificate=(ca_dir / devca.ROOT_CERT_FILE).read_bytes())
    monkeypatch.setenv("DEV_P12_PASSWORD", (ca_dir / devca.PASSWORD_FILE).read_text().strip())
    source, signed = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(make_pdf(2))

    code, out, err = _run(
        "sign",
        str(source),
        str(signed),
        "--p12",
        str(ca_dir / "officer-chutich.qni.p12"),
        "--password-env",
        "DEV_P12_PASSWORD",
        "--reason",
        "Phê duyệt",
    )
    assert (code, err) == (0, "")
    assert "Nguyễn Hữu Phúc" in out

    code, out, _err = _run("verify", str(signed))
    assert code == 0
    assert "Nguyễn Hữu Phúc" in out
    assert "OK" in out

    tampered = signed.read_bytes().replace(b"trang 1", b"trang 9", 1)
    (tmp_path / "bad.pdf").write_bytes(tampered)
    code, _out, _err = _run("verify", str(tmp_path / "bad.pdf"))
    assert code == 1


def test_verify_exits_one_for_an_untrusted_or_unsigned_file(
    ca_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW", (ca_dir / devca.PASSWORD_FILE).read_text().strip())
    (tmp_path / "in.pdf").write_bytes(make_pdf())
    code, _o, _e = _run(
        "sign",
        str(tmp_path / "in.pdf"),
        str(tmp_path / "out.pdf"),
        "--p12",
        str(ca_dir / "officer-vanthu.vpubnd.p12"),
        "--password-env",
        "PW",
        "--invisible",
    )
    assert code == 0
    assert _run("verify", str(tmp_path / "out.pdf"))[0] == 1  # root not registered
    assert _run("verify", str(tmp_path / "in.pdf"))[0] == 1  # no signature
    reports = verify.verify_pdf((tmp_path / "out.pdf").read_bytes(), [])
    assert reports[0].signer_uid == "vanthu.vpubnd"


def test_wrong_password_exits_two_and_writes_no_file(
    ca_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW", "wrong")
    (tmp_path / "in.pdf").write_bytes(make_pdf())
    code, _out, err = _run(
        "sign",
        str(tmp_path / "in.pdf"),
        str(tmp_path / "out.pdf"),
        "--p12",
        str(ca_dir / "officer-chutich.qni.p12"),
        "--password-env",
        "PW",
    )
    assert code == 2
    assert err.strip() != ""
    assert not (tmp_path / "out.pdf").exists()


def test_verify_of_a_missing_file_exits_two(tmp_path: Path) -> None:
    assert _run("verify", str(tmp_path / "none.pdf"))[0] == 2
