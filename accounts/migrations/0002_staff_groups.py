"""Two staff groups with the least each needs. Later migrations extend them as apps add models."""

from django.db import migrations

from accounts.staff_groups import group_permissions_grant

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
    group_permissions_grant(apps, GROUPS)


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
