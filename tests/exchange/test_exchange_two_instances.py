"""Acceptance of the exchange: two platform installations (two databases, two gunicorn
servers on loopback ports, task workers) exchange a document and its statuses over HTTP, and
survive the faults of issue 7: the receiver down while the sender issues, the sender killed
between commit and delivery, a package delivered twice."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _load(name: str, path: Path) -> Any:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_load("exchange_instances", Path(__file__).with_name("exchange_instances.py"))

from exchange_instances import QCVN_B, TO_B, Pair, two_instances, wait_until  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pair(tmp_path: Path, transactional_db: None) -> Iterator[Pair]:
    with two_instances(tmp_path) as both:
        yield both


def _state(pair: Pair) -> str:
    rows = pair.deliveries()
    assert len(rows) == 1
    assert rows[0][1] == QCVN_B
    return str(rows[0][2])


def test_document_travels_and_every_status_comes_back(pair: Pair) -> None:
    """Issue in A to an organisation hosted by B; background workers carry the package and
    each status; B's clerk registers, the head assigns, the officer completes."""
    a, b = pair.a, pair.b
    for instance in (a, b):
        instance.start_server()
        instance.start_worker()
    a.wait_server()
    b.wait_server()

    a.call("issue", recipients_text=TO_B)
    wait_until(lambda: _state(pair) == "arrived", what="A to see 'arrived'")
    arrived = b.call("arrived")["documents"]
    assert len(arrived) == 1
    document = arrived[0]

    b.call("register", document=document)
    wait_until(lambda: _state(pair) == "registered", what="A to see 'registered'")
    b.call("direct", document=document)
    wait_until(lambda: _state(pair) == "assigned", what="A to see 'assigned'")
    assert b.call("complete", document=document)["state"] == "completed"
    wait_until(lambda: _state(pair) == "completed", what="A to see 'completed'")

    seen_by_a = a.call("counts")
    assert seen_by_a["inbox"] == [
        ["status", "applied", "01"],
        ["status", "applied", "03"],
        ["status", "applied", "04"],
        ["status", "applied", "06"],
    ]
    assert seen_by_a["outbox"] == [["package", "sent", ""]]
    seen_by_b = b.call("counts")
    assert [row[1] for row in seen_by_b["incoming"]] == ["completed"]
    assert seen_by_b["inbox"] == [["package", "registered", "01"]]
    assert seen_by_b["outbox"] == [
        ["status", "sent", "01"],
        ["status", "sent", "03"],
        ["status", "sent", "04"],
        ["status", "sent", "06"],
    ]


def test_receiver_down_then_back_nothing_lost_nothing_duplicated(pair: Pair) -> None:
    a, b = pair.a, pair.b
    a.start_server()
    a.wait_server()
    a.call("issue", recipients_text=TO_B, count=2)

    assert a.call("deliver") == {"retry": 2}  # B is down: connection refused
    assert [row[2] for row in pair.deliveries()] == ["queued", "queued"]
    assert [row[1] for row in a.call("counts")["outbox"]] == ["failed", "failed"]

    b.start_server()
    b.wait_server()
    drained = a.egov("exchange", "deliver", "--wait", "--max-seconds", "20")
    assert drained.returncode == 0, drained.stderr
    assert json.loads(drained.stdout.strip().splitlines()[-1]) == {"sent": 2}
    assert [row[2] for row in pair.deliveries()] == ["sent", "sent"]

    # The answers were lost: A sends both packages again; B takes neither twice.
    assert a.call("resend_all") == {"requeued": 2}
    assert a.call("deliver") == {"sent": 2}
    received = b.call("counts")
    assert len(received["incoming"]) == 2
    assert [row[1] for row in received["inbox"]] == ["received", "received"]
    assert b.call("deliver") == {"sent": 2}  # one "01 arrived" per document, no more
    assert [row[2] for row in pair.deliveries()] == ["arrived", "arrived"]


def test_sender_killed_between_commit_and_delivery_delivers_after_restart(pair: Pair) -> None:
    a, b = pair.a, pair.b
    b.start_server()
    b.wait_server()
    a.call("issue", recipients_text=TO_B)
    a.kill("driver")  # the issuing process dies right after the commit, nothing sent yet
    assert b.call("counts")["inbox"] == []

    restarted = a.egov("exchange", "deliver", "--loop")  # what cron / the worker runs next

    assert restarted.returncode == 0, restarted.stderr
    assert json.loads(restarted.stdout.strip().splitlines()[-1]) == {"sent": 1}
    received = b.call("counts")
    assert [row[1] for row in received["incoming"]] == ["arrived"]
    assert received["inbox"] == [["package", "received", "01"]]
    a.start_driver()
    a.wait_driver()
    assert a.call("counts")["outbox"] == [["package", "sent", ""]]
    assert [row[2] for row in pair.deliveries()] == ["sent"]
