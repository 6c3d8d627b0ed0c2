"""Full-text index under core.SearchEntry: FTS5 on SQLite, GIN over tsvector on PostgreSQL.

SQLite: an external-content FTS5 table `core_searchentry_fts` (rowid = core_searchentry.id)
kept in sync by three triggers. Note for later migrations: when Django rebuilds the
core_searchentry table on SQLite (most AlterField/AddField operations), the triggers are dropped
with the old table, so such a migration must run `sqlite_forwards` again (and `rebuild`).

PostgreSQL: a GIN index on to_tsvector('simple', folded); `egov.core.search` queries exactly
that expression so the planner can use it.
"""

from django.db import migrations

SQLITE_FORWARDS = [
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS core_searchentry_fts USING fts5(
        folded,
        content='core_searchentry',
        content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER IF NOT EXISTS core_searchentry_fts_ai AFTER INSERT ON core_searchentry BEGIN
        INSERT INTO core_searchentry_fts(rowid, folded) VALUES (new.id, new.folded);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS core_searchentry_fts_ad AFTER DELETE ON core_searchentry BEGIN
        INSERT INTO core_searchentry_fts(core_searchentry_fts, rowid, folded)
        VALUES ('delete', old.id, old.folded);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS core_searchentry_fts_au AFTER UPDATE ON core_searchentry
    WHEN old.folded IS NOT new.folded OR old.id IS NOT new.id BEGIN
        INSERT INTO core_searchentry_fts(core_searchentry_fts, rowid, folded)
        VALUES ('delete', old.id, old.folded);
        INSERT INTO core_searchentry_fts(rowid, folded) VALUES (new.id, new.folded);
    END
    """,
    "INSERT INTO core_searchentry_fts(core_searchentry_fts) VALUES ('rebuild')",
]

SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS core_searchentry_fts_au",
    "DROP TRIGGER IF EXISTS core_searchentry_fts_ad",
    "DROP TRIGGER IF EXISTS core_searchentry_fts_ai",
    "DROP TABLE IF EXISTS core_searchentry_fts",
]

POSTGRES_FORWARDS = [
    """
    CREATE INDEX IF NOT EXISTS core_searchentry_folded_fts
    ON core_searchentry USING gin (to_tsvector('simple'::regconfig, folded))
    """,
]

POSTGRES_BACKWARDS = ["DROP INDEX IF EXISTS core_searchentry_folded_fts"]


def _run(schema_editor, statements_by_vendor):
    statements = statements_by_vendor.get(schema_editor.connection.vendor)
    if statements is None:
        raise RuntimeError(
            f"full-text search is not available on {schema_editor.connection.vendor}"
        )
    for statement in statements:
        schema_editor.execute(statement)


def sqlite_forwards(schema_editor):
    for statement in SQLITE_FORWARDS:
        schema_editor.execute(statement)


def forwards(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_FORWARDS, "postgresql": POSTGRES_FORWARDS})


def backwards(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_BACKWARDS, "postgresql": POSTGRES_BACKWARDS})


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
