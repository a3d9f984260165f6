"""Extend the staff groups: both see blurred uploads; only privacy officers reveal; partners and webhooks."""

from django.db import migrations

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
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group:
            for code in codes:
                app_label, codename = code.split(".")
                group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("media_vault", "0001_initial"),
        ("partners", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
