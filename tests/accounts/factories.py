import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from accounts.models import StaffAction

# Real browsers' User-Agent headers, for sign-ins and sessions from telling devices apart.
FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
EDGE_ON_WINDOWS = f"{CHROME_ON_WINDOWS} Edg/126.0.2592.87"
CHROME_ON_ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"subject{n}@example.org")
    display_name = factory.Faker("name")
    is_active = True

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or "correct-horse-battery-9")
        if create:
            obj.save(update_fields=["password"])

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        """Every subject has a verified primary address unless told otherwise (verified_email=False)."""
        if create:
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"primary": True, "verified": extracted is not False}
            )

    @factory.post_generation
    def groups(obj, create, extracted, **kwargs):
        if create and extracted:
            from django.contrib.auth.models import Group

            for name in extracted:
                obj.groups.add(Group.objects.get(name=name))


class StaffActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffAction

    actor = factory.SubFactory(UserFactory, staff=True)
    subject = factory.SubFactory(UserFactory)
    kind = StaffAction.Kind.VIEW
    target = factory.LazyAttribute(lambda o: f"accounts.User:{o.subject.pk}")
