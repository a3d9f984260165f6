import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from accounts.models import StaffAction


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
