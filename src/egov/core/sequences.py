"""Gap-free number series per (scope, register, year): document numbers, dossier counters.

Why not a database SEQUENCE: those hand out numbers outside the transaction, so a rolled-back
registration leaves a hole, and Decree 30/2020 wants registers without holes. Here the counter
row is incremented inside the caller's transaction: the row stays locked until that transaction
ends, so a rollback gives the number back and the next writer receives it.

Both databases run the same statement, an upsert with RETURNING (PostgreSQL 9.5+, SQLite
3.35+). PostgreSQL serialises writers on the row lock (or on the unique index for a series
that does not exist yet); SQLite serialises them on the database write lock, which our settings
take at BEGIN (`transaction_mode=IMMEDIATE`). The price is that writers of the same series
queue one behind the other until commit: keep the transaction that draws a number short.
"""

from __future__ import annotations

import sqlite3

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext

from egov.core.errors import ValidationFailed
from egov.core.models import Sequence

_MAX_KEY = 64  # Sequence.scope / Sequence.register max_length
_SQLITE_HAS_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)


def _check_series(scope: str, register: str, year: int) -> None:
    ok = (
        isinstance(scope, str)
        and isinstance(register, str)
        and 0 < len(scope) <= _MAX_KEY
        and 0 < len(register) <= _MAX_KEY
        and isinstance(year, int)
        and not isinstance(year, bool)
        and 1900 <= year <= 9999
    )
    if not ok:
        raise ValidationFailed(
            gettext("Invalid number series %(scope)s/%(register)s/%(year)s.")
            % {"scope": scope, "register": register, "year": year},
            code="sequence.bad_series",
        )


def _upsert_returning(conn: BaseDatabaseWrapper, scope: str, register: str, year: int) -> int:
    table = conn.ops.quote_name(Sequence._meta.db_table)
    sql = (
        f"INSERT INTO {table} (scope, register, year, last_value) "  # noqa: S608 (table name only)
        "VALUES (%s, %s, %s, 1) "
        "ON CONFLICT (scope, register, year) "
        f"DO UPDATE SET last_value = {table}.last_value + 1 "
        "RETURNING last_value"
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, [scope, register, year])
        row = cursor.fetchone()
    return int(row[0])


def _update_then_insert(conn: BaseDatabaseWrapper, scope: str, register: str, year: int) -> int:
    """SQLite before 3.35 (no RETURNING): safe because the write lock is held from the UPDATE
    (from BEGIN under IMMEDIATE) until the caller's transaction ends."""
    table = conn.ops.quote_name(Sequence._meta.db_table)
    where = "WHERE scope = %s AND register = %s AND year = %s"
    params: list[str | int] = [scope, register, year]
    with conn.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last_value = last_value + 1 {where}", params)  # noqa: S608
        if cursor.rowcount == 0:
            cursor.execute(
                f"INSERT INTO {table} (scope, register, year, last_value) "  # noqa: S608
                "VALUES (%s, %s, %s, 1)",
                params,
            )
            return 1
        cursor.execute(f"SELECT last_value FROM {table} {where}", params)  # noqa: S608
        row = cursor.fetchone()
    return int(row[0])


def sequence_next(*, scope: str, register: str, year: int, using: str = "default") -> int:
    """Take the next number of the series, inside the caller's transaction.

    The number belongs to the caller only if its transaction commits; on rollback it is handed
    to the next writer, so committed numbers run 1, 2, 3 … without holes. Calling this outside
    `transaction.atomic()` is refused: the number would be committed on its own and lost if the
    caller then failed.
    """
    _check_series(scope, register, year)
    conn = transaction.get_connection(using)
    if not conn.in_atomic_block:
        raise transaction.TransactionManagementError(
            "sequence_next() must run inside the caller's transaction.atomic() block"
        )
    if conn.vendor == "sqlite" and not _SQLITE_HAS_RETURNING:
        return _update_then_insert(conn, scope, register, year)
    return _upsert_returning(conn, scope, register, year)


def sequence_peek(*, scope: str, register: str, year: int, using: str = "default") -> int:
    """The last number handed out and committed (0 for a series not started yet).

    Only a hint for screens ("next number will be about N+1"): another writer may take N+1
    before the caller does, so never number anything with it.
    """
    _check_series(scope, register, year)
    value = (
        Sequence.objects.using(using)
        .filter(scope=scope, register=register, year=year)
        .values_list("last_value", flat=True)
        .first()
    )
    return int(value or 0)


__all__ = ["sequence_next", "sequence_peek"]
