from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0003_online_drafts"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="result_signed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="result signed at"),
        ),
    ]
