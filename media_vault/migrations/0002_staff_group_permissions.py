"""Extend the staff groups: both see blurred uploads; only privacy officers reveal; partners and webhooks."""

from django.db import migrations

from accounts.staff_groups import group_permissions_grant, group_permissions_revoke

GRANTS = {
    "Privacy officer": [
        "media_vault.view_faceupload",
        "media_vault.reveal_faceupload",
        "media_vault.view_accessevent",
        "partners.view_partner",
        "partners.change_partner",
        "partners.view_link",
        "partners.view_webhookevent",
        "partners.change_webhookevent",
    ],
    "Support": [
        "media_vault.view_faceupload",
        "partners.view_partner",
        "partners.view_webhookevent",
    ],
}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("media_vault", "0001_initial"),
        ("partners", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
