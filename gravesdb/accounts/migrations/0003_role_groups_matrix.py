from django.db import migrations

from gravesdb.core.roles import sync_role_groups


class Migration(migrations.Migration):
    """The permission matrix of docs/security.md: no role deletes; researchers see districts, not spots."""

    dependencies = [
        ("accounts", "0002_membership"),
        ("testimony", "0002_identity_encrypted_recording_organization"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
