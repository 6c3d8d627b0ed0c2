"""The code list of administrative document types (Decree 30/2020 Annex III)."""

from django.db import migrations

from egov.documents.doctypes import TYPES, document_types_ensure


def load(apps, schema_editor):
    document_types_ensure(apps.get_model("documents", "DocumentType"))


def unload(apps, schema_editor):
    apps.get_model("documents", "DocumentType").objects.filter(
        code__in=[row[0] for row in TYPES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
