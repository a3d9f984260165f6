"""Staff groups get their permissions through data migrations; each app's migration names its grants."""

from django.contrib.auth.management import create_permissions


def group_permissions_grant(apps, grants: dict[str, list[str]]) -> None:
    """Give each named group (made if missing) the permissions listed as "app_label.codename"."""
    # Permissions are normally created after all migrations have run; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in grants.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def group_permissions_revoke(apps, grants: dict[str, list[str]]) -> None:
    """Undo group_permissions_grant (the groups themselves stay)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in grants.items():
        group = Group.objects.filter(name=name).first()
        for code in codes if group else []:
            app_label, codename = code.split(".")
            group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))
