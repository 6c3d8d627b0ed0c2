"""Benchmark of the public status page as people use it (issue #5, ARCHITECTURE.md §7): the
rendered HTML, not the JSON API — the GET form (the receipt's QR link) and the POST with code +
phone for a found dossier (timeline in plain words, next action, signed links) — as a ratio to
the minimal view (/healthz) measured in the same run, through the whole middleware stack.

No assertion on time: the figures are printed and kept in the benchmark's extra_info. The
query count of the page is held by tests/portal/test_portal_track.py.

Run:
  EGOV_ENV=test .venv/bin/pytest tests/perf/test_bench_portal_status.py --benchmark-only \\
    -p no:xdist -o addopts="--import-mode=importlib" -s
"""

from __future__ import annotations

import pytest
from bench_support import ROOT, load_module, requests_per_second
from django.db import connection
from django.test import Client
from egov_testing import production_templates
from pytest_benchmark.fixture import BenchmarkFixture

from egov.core.botguard import form_token
from egov.directory.models import Organization, Role, Scope
from egov.dossiers import services
from egov.procedures.models import Field
from egov.procedures.services import procedure_create

BATCH = 200
TARGET_SHARE = 0.60  # the budget of the status look-up (ARCHITECTURE.md §7), for comparison


_factories = load_module("directory_factories", ROOT / "tests/directory/factories.py")
_support = load_module("dossiers_support", ROOT / "tests/dossiers/support.py")


def _dossier_code() -> str:
    """A dossier received at the counter, accepted and in process (a typical look-up)."""
    factory = _factories.OrganizationFactory
    root = factory(code="H51", committee=True, name_vi="UBND tỉnh")
    centre = factory(
        code="H51.20", qcvn_code="000.00.20.H51", parent=root, kind=Organization.Kind.AGENCY
    )
    construction = factory(code="H51.04", parent=root, name_vi="Sở Xây dựng")
    unit = factory(code="H51.04.02", parent=construction, unit=True)
    environment = factory(code="H51.08", parent=root)
    factory(code="H51.08.01", parent=environment, unit=True)
    Field.objects.create(code="XD", name="Hoạt động xây dựng")
    procedure_create(actor=None, data=_support.PROCEDURE, as_system=True)
    counter = _factories.OfficerFactory(unit=centre, roles=[(Role.COUNTER, Scope.ORGANIZATION)])
    reviewer = _factories.OfficerFactory(unit=unit, roles=[(Role.OFFICER, Scope.UNIT)])
    applicant = _factories.ApplicantFactory(national_id="051185000123", phone="0900000001")
    dossier = services.dossier_receive(
        actor=counter.account,
        procedure_code=_support.PROCEDURE_CODE,
        receiving_organization=centre,
        applicant=applicant,
        channel="counter",
        form_data=dict(_support.FORM),
    )
    dossier = services.dossier_accept(actor=counter.account, dossier=dossier)
    step = dossier.steps.order_by("order")[1]
    services.dossier_start_step(actor=reviewer.account, dossier=dossier, step=step)
    return dossier.code


@pytest.mark.django_db
def test_bench_rendered_status_page_against_the_ceiling(benchmark: BenchmarkFixture) -> None:
    code = _dossier_code()
    client = Client()
    url = f"/tra-cuu-ho-so/{code}/"
    data = {"code": code, "secret": "0900000001", "form_started": form_token()}

    def found() -> int:
        return client.post(url, data).status_code

    def form() -> int:
        return client.get(url).status_code

    def ceiling() -> int:
        return client.get("/healthz").status_code

    first = client.post(url, data)
    assert first.status_code == 200
    assert first.context["citizen"].action_kinds == ["pay", "wait"]
    page_bytes = len(first.content)
    for _ in range(50):  # warm every path
        found()
        form()
        ceiling()
    with production_templates():
        benchmark.pedantic(found, rounds=BATCH, iterations=1)
    # Interleaved so that a noisy neighbour hurts every figure alike; templates rendered as a
    # served page renders them (without the test client's context recording).
    found_rates, form_rates, ceiling_rates = [], [], []
    with production_templates():
        for _ in range(3):
            ceiling_rates.append(requests_per_second(ceiling))
            found_rates.append(requests_per_second(found))
            form_rates.append(requests_per_second(form))
    ceiling_rate = max(ceiling_rates)
    found_rate, form_rate = max(found_rates), max(form_rates)
    benchmark.extra_info.update(
        {
            "database": connection.vendor,
            "ceiling_requests_per_second": round(ceiling_rate),
            "status_post_found_requests_per_second": round(found_rate),
            "status_get_form_requests_per_second": round(form_rate),
            "status_post_share_of_ceiling": round(found_rate / ceiling_rate, 3),
            "status_get_share_of_ceiling": round(form_rate / ceiling_rate, 3),
            "status_page_bytes": page_bytes,
            "target_share": TARGET_SHARE,
        }
    )
    print(f"\nrendered status page vs /healthz: {benchmark.extra_info}")  # noqa: T201
