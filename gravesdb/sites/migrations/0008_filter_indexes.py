from django.db import migrations, models
from django.db.models.functions import Coalesce


class Migration(migrations.Migration):
    dependencies = [
        ("sites", "0007_search_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="site",
            index=models.Index(fields=["site_type", "reference_code"], name="site_type_code_idx"),
        ),
        migrations.AddIndex(
            model_name="victimestimate",
            index=models.Index(
                models.F("site"),
                Coalesce("high", "best", "low"),
                condition=models.Q(archived_at__isnull=True),
                name="estimate_site_figure_idx",
            ),
        ),
        # Statistics on the indexed figure expression, which ANALYZE gathers only once it is indexed.
        migrations.RunSQL("ANALYZE sites_victimestimate", migrations.RunSQL.noop),
    ]
