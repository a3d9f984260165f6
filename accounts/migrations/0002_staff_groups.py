"""Two staff groups with the least each needs. Later migrations extend them as apps add models."""

from django.db import migrations

GROUPS = {
    "Privacy officer": [
        "accounts.view_user",
        "accounts.view_staffaction",
        "consents.view_purpose",
        "consents.add_purpose",
        "consents.change_purpose",
        "consents.view_purposeversion",
        "consents.view_consentevent",
        "consents.view_consentstate",
    ],
    "Support": [
        "accounts.view_user",
        "consents.view_purpose",
        "consents.view_purposeversion",
    ],
}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("consents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
