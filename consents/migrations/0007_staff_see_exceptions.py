"""Privacy officers see per-app exceptions as they see consent states (read only)."""

from django.db import migrations

from accounts.staff_groups import group_permissions_grant, group_permissions_revoke

GRANTS = {"Privacy officer": ["consents.view_consentexception"]}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("consents", "0006_per_app_exceptions"),
        ("accounts", "0002_staff_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
