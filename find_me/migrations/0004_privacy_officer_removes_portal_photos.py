"""Privacy officers act on "remove me" for a photo uploaded in the portal itself: no app holds it to delete."""

from django.db import migrations

from accounts.staff_groups import group_permissions_grant, group_permissions_revoke

GRANTS = {"Privacy officer": ["find_me.remove_portal_photo"]}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("find_me", "0003_sighting_remove_portal_photo_permission")]
    operations = [migrations.RunPython(grant, revoke)]
