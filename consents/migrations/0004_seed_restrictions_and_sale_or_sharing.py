from django.db import migrations

RESTRICTIONS = [
    (
        "no-political",
        "Never in political content",
        "No campaign material, political ads or content that takes a side on a political question.",
    ),
    (
        "no-sexual",
        "Never in sexual content",
        "No nudity, sexual or suggestive content of any kind.",
    ),
    (
        "no-violence",
        "Never in violent content",
        "No content that shows me hurting anyone, being hurt, or holding a weapon.",
    ),
    (
        "no-advertising",
        "Never in advertising",
        "No ads, sponsored posts or anything that sells a product or a service.",
    ),
    (
        "no-voice",
        "Never with my voice",
        "No cloned or imitated voice: media made with my likeness stays silent or uses another voice.",
    ),
    (
        "no-minors-in-scene",
        "Never with children in the scene",
        "No media that puts me in the same scene as anyone who looks under 18.",
    ),
]

SALE_OR_SHARING = ["cameos", "train-models"]


def seed(apps, schema_editor):
    LikenessRestriction = apps.get_model("consents", "LikenessRestriction")
    for position, (slug, title, description) in enumerate(RESTRICTIONS):
        LikenessRestriction.objects.get_or_create(
            slug=slug, defaults={"title": title, "description": description, "position": position}
        )
    apps.get_model("consents", "Purpose").objects.filter(slug__in=SALE_OR_SHARING).update(sale_or_sharing=True)


class Migration(migrations.Migration):
    dependencies = [("consents", "0003_likeness_restrictions_and_gpc")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
