"""The privacy officer sees the queue of exports and erasures and may retry a failed one; Support gets nothing here."""

from django.db import migrations

GRANTS = {
    "Privacy officer": [
        "data_rights.view_datarequest",
        "data_rights.change_datarequest",  # only for the retry action: the admin never edits a row
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
        ("data_rights", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
