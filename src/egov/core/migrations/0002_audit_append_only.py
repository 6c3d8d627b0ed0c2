"""Refuse UPDATE (and, on PostgreSQL, DELETE) of audit entries below the ORM.

PostgreSQL: a row trigger raises on UPDATE and DELETE. TRUNCATE is left alone on purpose: the
test runner empties tables with it, and a role that may TRUNCATE may also drop the trigger; the
hash chain is what detects that kind of tampering.

SQLite: a trigger refuses UPDATE. DELETE is not refused by a trigger because Django's `flush`
(used between transactional tests) empties SQLite tables with DELETE; the ORM refuses deletes
and `egov audit verify` detects a removed entry.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'core_auditentry is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
DROP FUNCTION IF EXISTS core_auditentry_append_only();
"""

SQLITE_FORWARD = """
CREATE TRIGGER core_auditentry_no_update
BEFORE UPDATE ON core_auditentry
BEGIN
    SELECT RAISE(ABORT, 'core_auditentry is append-only: UPDATE refused');
END;
"""

SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS core_auditentry_no_update;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
