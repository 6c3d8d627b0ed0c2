"""Payment test set-up: a province, a published procedure with two fee lines, an applicant with
an account, and a dossier submitted online by them (fees due before processing)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import translation

_ROOT = Path(__file__).parent.parent


def _load(name: str, path: Path) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load("directory_factories", _ROOT / "directory" / "factories.py")
_load("dossiers_support", _ROOT / "dossiers" / "support.py")
_load("payments_support", Path(__file__).with_name("payments_support.py"))

from directory_factories import ApplicantFactory, OrganizationFactory  # noqa: E402
from dossiers_support import FORM, PROCEDURE, PROCEDURE_CODE  # noqa: E402

from egov.directory.models import Applicant, Organization  # noqa: E402
from egov.dossiers.models import Dossier  # noqa: E402
from egov.dossiers.services import dossier_receive  # noqa: E402
from egov.payments import sandbox  # noqa: E402
from egov.procedures.models import Field  # noqa: E402
from egov.procedures.services import procedure_create  # noqa: E402

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@dataclass
class PayWorld:
    centre: Organization
    applicant: Applicant
    other: Applicant
    dossier: Dossier

    def submit(self, applicant: Applicant | None = None, **form: Any) -> Dossier:
        who = applicant or self.applicant
        return dossier_receive(
            actor=who.account,
            procedure_code=PROCEDURE_CODE,
            receiving_organization=self.centre,
            applicant=who,
            channel="online",
            form_data={**FORM, **form},
        )


@pytest.fixture
def pay_world(db: None) -> PayWorld:
    root = OrganizationFactory(code="H51", committee=True, name_vi="UBND tỉnh")
    centre = OrganizationFactory(
        code="H51.20",
        qcvn_code="000.00.20.H51",
        parent=root,
        kind=Organization.Kind.AGENCY,
        name_vi="Trung tâm Phục vụ hành chính công",
    )
    construction = OrganizationFactory(code="H51.04", parent=root, name_vi="Sở Xây dựng")
    OrganizationFactory(code="H51.04.02", parent=construction, unit=True)
    OrganizationFactory(code="H51.08", parent=root, name_vi="Sở Nông nghiệp và Môi trường")
    Field.objects.create(code="XD", name="Hoạt động xây dựng")
    procedure_create(actor=None, data=PROCEDURE, as_system=True)
    applicant = ApplicantFactory(national_id="051185000123", phone="0900000001")
    other = ApplicantFactory(national_id="051185000999", phone="0900000009")
    world = PayWorld(centre=centre, applicant=applicant, other=other, dossier=None)  # type: ignore[arg-type]
    world.dossier = world.submit()
    return world


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture
def ipn_through_client(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """The sandbox's server-to-server call goes through a fresh test client (no server, no
    session): what it answered is collected."""
    answers: list[tuple[int, str]] = []
    server_client = Client()

    def transport(url: str, timeout: float) -> tuple[int, str]:
        parts = urlsplit(url)
        response = server_client.get(f"{parts.path}?{parts.query}")
        answer = (response.status_code, response.content.decode())
        answers.append(answer)
        return answer

    monkeypatch.setattr(sandbox, "ipn_transport", transport)
    return answers


@pytest.fixture
def pdf_text(tmp_path: Path) -> Callable[[bytes], str]:
    def read(content: bytes) -> str:
        source = tmp_path / "read.pdf"
        source.write_bytes(content)
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(source), "-"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return done.stdout.decode("utf-8")

    return read
