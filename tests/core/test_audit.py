"""The audit log: what an entry holds, the hash chain, append-only rows, tamper detection,
`egov audit verify`, an object's history, and parallel writers that never fork the chain."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import importlib
import importlib.util
import subprocess
import sys
import uuid
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from egov.core import request_context
from egov.core.audit import (
    GENESIS_HASH,
    MAX_TEXT,
    VerifyResult,
    audit_record,
    audit_verify,
    diff_summary,
    entry_hash,
    json_safe,
)
from egov.core.models import AuditEntry, AuditLogIsAppendOnly, CalendarOverride
from egov.core.selectors import audit_history

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
MIGRATION = importlib.import_module("egov.core.migrations.0002_audit_append_only")


def _workers() -> ModuleType:
    name = "egov_tests_seq_workers"
    if name not in sys.modules:
        path = Path(__file__).with_name("_seq_workers.py")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


class Officer:
    """Stands in for a directory account: core reads only `pk` and the full name."""

    def __init__(self, pk: int, name: str) -> None:
        self.pk = pk
        self.name = name

    def get_full_name(self) -> str:
        return self.name

    def __str__(self) -> str:
        return f"officer{self.pk}"


class _Rollback(Exception):
    pass


@pytest.fixture
def bound_request() -> Iterator[None]:
    token = request_context.bind(
        request_context.RequestContext(request_id="req-0123456789", ip="203.0.113.7")
    )
    yield
    request_context.reset(token)


def _tamper(sql: str, params: list[Any]) -> None:
    """Run a raw write on core_auditentry with the append-only trigger out of the way, in one
    transaction so that the trigger is back (or never gone) whatever happens."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only"
            )
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_append_only")
        else:
            cursor.execute(MIGRATION.SQLITE_BACKWARD)
            cursor.execute(sql, params)
            cursor.execute(MIGRATION.SQLITE_FORWARD)


def _three_entries() -> list[AuditEntry]:
    return [
        audit_record(actor=None, action="test.step", object_type="test.thing", object_id=str(n))
        for n in range(1, 4)
    ]


# --- what an entry holds ---------------------------------------------------------------------


@pytest.mark.django_db
def test_entry_records_actor_object_change_request_and_links_to_the_previous_entry(
    bound_request: None,
) -> None:
    day_off = CalendarOverride.objects.create(
        day=dt.date(2026, 9, 1), kind="day_off", name="Nghỉ lễ Quốc khánh"
    )
    officer = Officer(42, "Nguyễn Thị Hoa")

    first = audit_record(actor=officer, action="calendar.override_add", obj=day_off)
    second = audit_record(
        actor=officer,
        action="calendar.override_change",
        obj=day_off,
        before={"name": "Nghỉ lễ", "kind": "day_off"},
        after={"name": "Nghỉ lễ Quốc khánh", "kind": "day_off"},
        note="Theo Quyết định 123/QĐ-UBND",
    )

    stored = AuditEntry.objects.get(pk=second.pk)
    assert stored.actor_id == 42
    assert stored.actor_label == "Nguyễn Thị Hoa"
    assert stored.action == "calendar.override_change"
    assert (stored.object_type, stored.object_id) == ("core.calendaroverride", str(day_off.pk))
    assert stored.summary == {
        "before": {"name": "Nghỉ lễ"},
        "after": {"name": "Nghỉ lễ Quốc khánh"},
        "note": "Theo Quyết định 123/QĐ-UBND",
    }
    assert (stored.request_id, stored.ip) == ("req-0123456789", "203.0.113.7")
    assert stored.created_at.tzinfo is not None
    assert AuditEntry.objects.get(pk=first.pk).prev_hash == GENESIS_HASH
    assert stored.prev_hash == first.hash
    assert stored.hash == entry_hash(stored) == second.hash
    assert len(stored.hash) == 64


@pytest.mark.django_db
def test_system_and_anonymous_actors_have_no_id() -> None:
    class Anonymous:
        pk = None
        is_anonymous = True

    system = audit_record(actor=None, action="system.cleanup", object_type="x", object_id="1")
    anonymous = audit_record(
        actor=Anonymous(), action="portal.lookup", object_type="x", object_id="1"
    )
    without_name = audit_record(actor=Officer(7, ""), action="x.y", object_type="x", object_id="1")

    assert (system.actor_id, system.actor_label) == (None, "")
    assert (anonymous.actor_id, anonymous.actor_label) == (None, "anonymous")
    assert (without_name.actor_id, without_name.actor_label) == (7, "officer7")
    assert (system.request_id, system.ip) == ("", "")


@pytest.mark.django_db
def test_creation_and_removal_keep_the_whole_side_and_no_note_means_no_key() -> None:
    created = audit_record(
        actor=None, action="x.create", object_type="x", object_id="1", after={"a": 1}
    )
    removed = audit_record(
        actor=None, action="x.delete", object_type="x", object_id="1", before={"a": 1}
    )
    bare = audit_record(actor=None, action="x.touch", object_type="x", object_id="1")

    assert created.summary == {"after": {"a": 1}}
    assert removed.summary == {"before": {"a": 1}}
    assert bare.summary == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": ""},
        {"action": "a" * 101},
        {"action": "x.y", "obj": CalendarOverride(day=dt.date(2026, 1, 1), kind="holiday")},
        {"action": "x.y", "object_type": "t" * 101, "object_id": "1"},
        {"action": "x.y", "object_type": "x", "object_id": "9" * 65},
    ],
)
def test_bad_calls_are_refused_and_nothing_is_written(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="audit_record"):
        audit_record(actor=None, **kwargs)
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_an_entry_written_in_a_rolled_back_transaction_disappears_with_it() -> None:
    kept = audit_record(actor=None, action="x.kept", object_type="x", object_id="1")
    with contextlib.suppress(_Rollback), transaction.atomic():
        lost = audit_record(actor=None, action="x.lost", object_type="x", object_id="2")
        raise _Rollback
    after = audit_record(actor=None, action="x.after", object_type="x", object_id="3")

    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["x.kept", "x.after"]
    assert lost.prev_hash == kept.hash
    assert after.prev_hash == kept.hash
    assert audit_verify().ok


# --- summaries -------------------------------------------------------------------------------


def test_diff_summary_keeps_only_changed_keys_as_json_safe_values() -> None:
    before = {
        "status": "new",
        "due_on": dt.date(2026, 7, 1),
        "fee": decimal.Decimal("50000"),
        "same": 1,
        "gone": "x",
    }
    after = {
        "status": "received",
        "due_on": "2026-07-01",
        "fee": decimal.Decimal("50000"),
        "same": 1,
        "received_at": dt.datetime(2026, 7, 1, 8, 30, tzinfo=HCM),
    }

    assert diff_summary(before, after) == {
        "before": {"status": "new", "gone": "x"},
        "after": {"status": "received", "received_at": "2026-07-01T01:30:00+00:00"},
    }
    assert diff_summary(after, after) == {"before": {}, "after": {}}
    assert diff_summary(None, {"a": None}) == {"before": {}, "after": {"a": None}}


def test_json_safe_turns_awkward_values_into_stable_json() -> None:
    value = json_safe(
        {
            1: {"nested": (1, 2)},
            "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "float": 1e16,
            "nan": float("nan"),
            "set": {"b", "a"},
            "nul": "a\x00b",
            "key\x00": 1,
            "long": "x" * (MAX_TEXT + 10),
            "big": 2**70,
            "naive_time": dt.time(8, 30),
        }
    )

    assert value == {
        "1": {"nested": [1, 2]},
        "uuid": "12345678-1234-5678-1234-567812345678",
        "float": "1e+16",
        "nan": "nan",
        "set": ["a", "b"],
        "nul": "a\ufffdb",
        "key\ufffd": 1,
        "long": "x" * (MAX_TEXT - 1) + "…",
        "big": 2**70,
        "naive_time": "08:30:00",
    }


@pytest.mark.django_db
def test_awkward_summaries_survive_the_database_so_the_chain_verifies() -> None:
    entry = audit_record(
        actor=Officer(1, "Trần Văn Bình"),
        action="x.change",
        object_type="x",
        object_id="1",
        after={
            "name": "Ủy ban nhân dân xã Đông Hòa",
            "float": 1e16,
            "minus_zero": -0.0,
            "big": 2**70,
            "nested": {"z": [1, {"b": True, "a": None}], "a": "ß"},
            "emoji": "📄",
        },
    )

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.summary == entry.summary
    assert entry_hash(stored) == entry.hash
    assert audit_verify().ok


# --- append-only -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_orm_refuses_to_change_or_delete_entries() -> None:
    entry = audit_record(actor=None, action="x.y", object_type="x", object_id="1")
    entry.action = "x.forged"

    refused = [
        lambda: entry.save(),
        lambda: entry.delete(),
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="x.forged"),
        lambda: AuditEntry.objects.all().delete(),
        lambda: AuditEntry.objects.bulk_update([entry], ["action"]),
        lambda: AuditEntry.objects.bulk_create([AuditEntry(action="x.z", hash="1" * 64)]),
    ]
    for attempt in refused:
        with pytest.raises(AuditLogIsAppendOnly) as caught:
            attempt()
        assert caught.value.code == "audit.append_only"

    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["x.y"]


@pytest.mark.django_db
def test_the_database_refuses_a_raw_update() -> None:
    entry = audit_record(actor=None, action="x.y", object_type="x", object_id="1")

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE core_auditentry SET action = 'x.forged'")

    assert AuditEntry.objects.get(pk=entry.pk).action == "x.y"


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_a_raw_delete() -> None:
    entry = audit_record(actor=None, action="x.y", object_type="x", object_id="1")

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditentry")

    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [entry.pk]


# --- verification ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_an_intact_chain() -> None:
    entries = _three_entries()

    result = audit_verify()

    assert result.ok
    assert (result.checked, result.first_broken_id, result.reason) == (3, None, "ok")
    assert (result.last_id, result.last_hash) == (entries[-1].pk, entries[-1].hash)


@pytest.mark.django_db
def test_verify_an_empty_log() -> None:
    result = audit_verify()
    assert (result.ok, result.checked, result.first_broken_id, result.last_id) == (
        True,
        0,
        None,
        None,
    )


@pytest.mark.django_db
def test_verify_names_an_entry_whose_content_was_changed() -> None:
    first, second, _ = _three_entries()
    _tamper(
        "UPDATE core_auditentry SET summary = %s WHERE id = %s", ['{"after": {"x": 1}}', second.pk]
    )

    result = audit_verify()

    assert (result.ok, result.first_broken_id, result.reason, result.checked) == (
        False,
        second.pk,
        "hash_mismatch",
        2,
    )
    assert result.last_id == first.pk


@pytest.mark.django_db
def test_verify_names_the_entry_after_one_that_was_rehashed() -> None:
    _, second, third = _three_entries()
    forged = AuditEntry.objects.get(pk=second.pk)
    forged.actor_label = "someone else"
    _tamper(
        "UPDATE core_auditentry SET actor_label = %s, hash = %s WHERE id = %s",
        [forged.actor_label, entry_hash(forged), second.pk],
    )

    result = audit_verify()

    assert (result.ok, result.first_broken_id, result.reason) == (
        False,
        third.pk,
        "prev_hash_mismatch",
    )


@pytest.mark.django_db
def test_verify_names_the_entry_after_one_that_was_removed() -> None:
    _, second, third = _three_entries()
    _tamper("DELETE FROM core_auditentry WHERE id = %s", [second.pk])

    result = audit_verify()

    assert (result.ok, result.first_broken_id, result.reason, result.checked) == (
        False,
        third.pk,
        "prev_hash_mismatch",
        2,
    )


@pytest.mark.django_db
def test_verify_command_exits_zero_when_intact_and_one_naming_the_broken_entry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, second, _ = _three_entries()
    with translation.override("en"):
        call_command("audit", "verify", "--database", "default")
        assert "3 entries checked" in capsys.readouterr().out

        _tamper("UPDATE core_auditentry SET object_id = '99' WHERE id = %s", [second.pk])
        with pytest.raises(SystemExit) as exited:
            call_command("audit", "verify")

    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert f"#{second.pk}" in err
    assert "changed" in err


# --- history ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_history_lists_only_that_objects_entries_oldest_first_in_one_query() -> None:
    a1 = audit_record(actor=None, action="x.create", object_type="x", object_id="1")
    audit_record(actor=None, action="x.create", object_type="x", object_id="2")
    audit_record(actor=None, action="x.create", object_type="y", object_id="1")
    a2 = audit_record(actor=None, action="x.change", object_type="x", object_id="1")

    with CaptureQueriesContext(connection) as queries:
        history = list(audit_history(object_type="x", object_id="1"))

    assert [e.pk for e in history] == [a1.pk, a2.pk]
    assert len(queries) == 1


# --- parallel writers ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_parallel_processes_never_fork_the_chain_and_the_cli_verifies_it() -> None:
    workers = _workers()
    jobs = [{"kind": "audit", "count": 25, "rollback_every": 5, "worker": n} for n in range(4)]
    reports, _ = workers.run_workers(jobs, connection.settings_dict)

    committed = sorted(v for r in reports for v in r["committed"])
    assert len(committed) == 4 * 20
    assert sorted(AuditEntry.objects.values_list("pk", flat=True)) == committed
    prev_hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(set(prev_hashes)) == len(prev_hashes)  # no two entries share a predecessor
    tip = AuditEntry.objects.get(pk=committed[-1]).hash
    assert audit_verify() == VerifyResult(True, 80, None, "ok", committed[-1], tip)

    cli = [sys.executable, "-m", "egov.cli", "audit", "verify"]
    env = workers.child_env(connection.settings_dict)
    intact = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=60)
    assert intact.returncode == 0, intact.stderr

    broken_id = committed[40]
    _tamper("UPDATE core_auditentry SET ip = '198.51.100.1' WHERE id = %s", [broken_id])
    broken = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1
    assert f"#{broken_id}" in broken.stderr
