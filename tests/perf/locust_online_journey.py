"""Locust scenario (run by tests/perf/test_bench_portal_journey.py): one simulated citizen
opens a procedure page, starts an online application without an account, uploads a 200 KB
paper through the resumable protocol, fills the e-form, reviews and submits, and reads the
dossier code. Each step is one named request; the journey fails loudly when a page is not the
one expected. `EGOV_BENCH_PROCEDURE` names the procedure; `/healthz` users measure the
ceiling in a separate run of the same file (`EGOV_BENCH_CEILING=1`)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re

from locust import HttpUser, between, constant, task

CODE = os.environ.get("EGOV_BENCH_PROCEDURE", "BENCH-ONLINE-01")
CEILING = os.environ.get("EGOV_BENCH_CEILING") == "1"
PAPER = (
    b"%PDF-1.4\n1 0 obj<<>>endobj\n"
    + random.Random(7).randbytes(200 * 1024 - 40)
    + b"\ntrailer<<>>\n%%EOF\n"
)
PAPER_SHA = hashlib.sha256(PAPER).hexdigest()
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_GUARD = re.compile(r'name="form_started" value="([^"]+)"')
_DRAFT = re.compile(r"/nop-ho-so/ho-so/([0-9a-f-]{36})/")


def _csrf(text: str) -> str:
    found = _CSRF.search(text)
    if found is None:
        raise AssertionError("no CSRF token on the page")
    return found.group(1)


def _national_id() -> str:
    # Born in 1985 in province 051 (Quảng Ngãi), male; random serial.
    return "051085" + f"{random.randrange(10**6):06d}"


class Citizen(HttpUser):
    wait_time = constant(0) if CEILING else between(0.5, 1.5)

    @task
    def journey(self) -> None:
        if CEILING:
            self.client.get("/healthz", name="healthz")
            return
        self.client.get(f"/thu-tuc/{CODE}/", name="1 procedure page")
        start = self.client.get(f"/nop-ho-so/{CODE}/", name="2 apply start")
        draft_page = self.client.post(
            f"/nop-ho-so/{CODE}/",
            data={"csrfmiddlewaretoken": _csrf(start.text)},
            name="3 start draft",
        )
        found = _DRAFT.search(draft_page.url)
        if found is None:
            raise AssertionError(f"no draft page after start: {draft_page.url}")
        base = f"/nop-ho-so/ho-so/{found.group(1)}/"
        token = _csrf(draft_page.text)
        headers = {"X-CSRFToken": token, "Accept": "application/json"}
        begin = self.client.post(
            base + "tai-len/",
            data=json.dumps(
                {"document_code": "TP1", "name": "don.pdf", "size": len(PAPER), "sha256": PAPER_SHA}
            ),
            headers={**headers, "Content-Type": "application/json"},
            name="4 upload begin",
        )
        upload = begin.json()["id"]
        self.client.post(
            f"{base}tai-len/{upload}/?offset=0",
            data=PAPER,
            headers={**headers, "Content-Type": "application/octet-stream"},
            name="5 upload chunk",
        )
        self.client.post(
            f"{base}tai-len/{upload}/hoan-tat/", headers=headers, name="6 upload finish"
        )
        person = _national_id()
        review = self.client.post(
            base,
            data={
                "csrfmiddlewaretoken": token,
                "action": "review",
                "f_ho_ten": "Nguyễn Văn Thử",
                "f_so_dinh_danh": person,
                "a_full_name": "Nguyễn Văn Thử",
                "a_identifier": person,
                "a_phone": "09" + f"{random.randrange(10**8):08d}",
                "a_email": "",
                "a_address": "Thôn 1",
            },
            name="7 form to review",
        )
        if "/xem-lai/" not in review.url:
            raise AssertionError(f"the form was not accepted: {review.status_code} {review.url}")
        guard = _GUARD.search(review.text)
        with self.client.post(
            base + "nop/",
            data={
                "csrfmiddlewaretoken": _csrf(review.text),
                "form_started": guard.group(1) if guard else "",
                "website": "",
            },
            name="8 submit",
            catch_response=True,
        ) as done:
            if "/da-nop/" not in done.url or 'data-testid="dossier-code"' not in done.text:
                done.failure(f"no dossier code: {done.status_code} {done.url}")
            else:
                done.success()
