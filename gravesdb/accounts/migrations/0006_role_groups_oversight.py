from django.db import migrations

from gravesdb.core.roles import sync_role_groups


class Migration(migrations.Migration):
    """Auditors and data managers read the audit log and the merge records (issue 5)."""

    dependencies = [
        ("accounts", "0005_history_statement_level"),
        ("audit", "0001_initial"),
        ("dedup", "0002_judgement_names"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
