"""Privacy officers work the queue of overdue takedowns in admin (read only: apps confirm takedowns)."""

from django.db import migrations

from accounts.staff_groups import group_permissions_grant, group_permissions_revoke

GRANTS = {"Privacy officer": ["appearances.view_appearance"]}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("appearances", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
