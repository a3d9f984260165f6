"""Privacy officers work the queue of overdue removals in admin (read only: the app confirms by deleting the upload).
Support gets nothing here; nobody gets anything on face templates, which have no permissions at all."""

from django.db import migrations

from accounts.staff_groups import group_permissions_grant, group_permissions_revoke

GRANTS = {"Privacy officer": ["find_me.view_sighting"]}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("find_me", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
