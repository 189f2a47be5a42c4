from django.db import migrations

from gravesdb.core.roles import sync_role_groups


class Migration(migrations.Migration):
    """Data managers keep the column mappings used to import other organisations' lists."""

    dependencies = [
        ("accounts", "0003_role_groups_matrix"),
        ("exchange", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
