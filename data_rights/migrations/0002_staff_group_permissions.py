"""The privacy officer sees the queue of exports and erasures and may retry a failed one; Support gets nothing here."""

from django.db import migrations

from accounts.staff_groups import group_permissions_grant, group_permissions_revoke

GRANTS = {
    "Privacy officer": [
        "data_rights.view_datarequest",
        "data_rights.change_datarequest",  # only for the retry action: the admin never edits a row
    ],
}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("data_rights", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
