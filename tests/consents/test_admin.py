"""consents.admin: the ledger is read-only for everyone; purpose edits publish versions; views are audited."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import StaffAction
from consents.models import ConsentEvent, ConsentState, ConsentStateName, Purpose, PurposeVersion
from consents.selectors import consent_status_get
from consents.services import purpose_update
from tests.accounts.audit import AuditRefused, staff_audit_refused
from tests.accounts.factories import UserFactory
from tests.consents.factories import ConsentEventFactory, ConsentStateFactory, PurposeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(superuser=True)


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


def _admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _ledger_record(model):
    """One consent event or one consent state, each made through the ledger service."""
    return ConsentEventFactory() if model is ConsentEvent else ConsentStateFactory()


def _change_form_data(response, **changes) -> dict:
    """What a browser would post back from an admin change page, with `changes` applied."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()})
        for inline_form in formset.initial_forms:
            data[f"{inline_form.prefix}-id"] = inline_form.instance.pk
            data[f"{inline_form.prefix}-{formset.fk.name}"] = formset.instance.pk
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data


# --- The ledger is read-only, superusers included --------------------------------------------
@pytest.mark.parametrize("model", [ConsentEvent, ConsentState])
def test_superuser_cannot_add_ledger_records(superuser_client, model):
    assert superuser_client.get(_admin_url(model, "add")).status_code == HTTPStatus.FORBIDDEN
    assert superuser_client.post(_admin_url(model, "add"), {}).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("model", [ConsentEvent, ConsentState])
def test_superuser_cannot_change_ledger_records(superuser_client, model):
    record = _ledger_record(model)

    response = superuser_client.post(_admin_url(model, "change", record.pk), {"granted": ""})

    assert response.status_code == HTTPStatus.FORBIDDEN
    record.refresh_from_db()
    assert record.granted is True


@pytest.mark.parametrize("model", [ConsentEvent, ConsentState])
def test_superuser_cannot_delete_ledger_records(superuser_client, model):
    record = _ledger_record(model)
    url = _admin_url(model, "delete", record.pk)

    assert superuser_client.get(url).status_code == HTTPStatus.FORBIDDEN
    assert superuser_client.post(url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert model.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("model", [ConsentEvent, ConsentState])
def test_superuser_sees_ledger_records_read_only(superuser_client, model):
    record = _ledger_record(model)

    response = superuser_client.get(_admin_url(model, "change", record.pk))

    assert response.status_code == HTTPStatus.OK
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False
    assert b'name="_save"' not in response.content


@pytest.mark.parametrize("model", [ConsentEvent, ConsentState])
def test_ledger_changelist_offers_no_delete_action(superuser_client, model):
    record = _ledger_record(model)

    response = superuser_client.get(_admin_url(model, "changelist"))

    assert response.status_code == HTTPStatus.OK
    assert response.context["cl"].result_count == 1
    assert response.context["action_form"] is None
    assert b"delete_selected" not in response.content
    bulk_delete = superuser_client.post(
        _admin_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"}
    )
    assert bulk_delete.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
    assert model.objects.filter(pk=record.pk).exists()


# --- Purposes: edits publish versions through the service ------------------------------------
def test_editing_a_purpose_text_in_admin_publishes_a_new_version(superuser_client, superuser):
    purpose = PurposeFactory(title="Avatar generation", retention_days=30)
    url = _admin_url(type(purpose), "change", purpose.pk)

    response = superuser_client.post(
        url, _change_form_data(superuser_client.get(url), title="Avatar and cameo generation", retention_days=60)
    )

    assert response.status_code == HTTPStatus.FOUND
    purpose.refresh_from_db()
    assert (purpose.version, purpose.title, purpose.retention_days) == (2, "Avatar and cameo generation", 60)
    assert purpose.min_valid_version == 1  # not a material change: earlier grants still count
    version = PurposeVersion.objects.get(purpose=purpose, version=2)
    assert (version.title, version.retention_days, version.published_by) == (
        "Avatar and cameo generation",
        60,
        superuser,
    )
    assert version.requires_reconsent is False


def test_editing_only_order_or_activity_publishes_no_version(superuser_client):
    purpose = PurposeFactory()
    url = _admin_url(type(purpose), "change", purpose.pk)

    superuser_client.post(url, _change_form_data(superuser_client.get(url), position=99))

    purpose.refresh_from_db()
    assert purpose.position == 99
    assert purpose.version == 1
    assert PurposeVersion.objects.filter(purpose=purpose).count() == 1


def test_requiring_reconsent_in_admin_turns_earlier_grants_into_reconsent_required(superuser_client, subject):
    purpose = PurposeFactory()
    ConsentStateFactory(subject=subject, purpose=purpose, granted=True)
    url = _admin_url(type(purpose), "change", purpose.pk)

    response = superuser_client.post(
        url,
        _change_form_data(
            superuser_client.get(url),
            description="We now also train a face model.",
            requires_reconsent=True,
            change_note="Adds model training",
        ),
    )

    assert response.status_code == HTTPStatus.FOUND
    purpose.refresh_from_db()
    assert purpose.version == 2
    assert purpose.min_valid_version == 2
    assert consent_status_get(subject=subject, purpose=purpose).state == ConsentStateName.RECONSENT_REQUIRED


def test_purpose_versions_cannot_be_edited_or_deleted_in_admin(superuser_client):
    purpose = PurposeFactory()
    version = PurposeVersion.objects.get(purpose=purpose)

    change = superuser_client.post(_admin_url(PurposeVersion, "change", version.pk), {"title": "Rewritten history"})
    delete = superuser_client.post(_admin_url(PurposeVersion, "delete", version.pk), {"post": "yes"})

    assert change.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    version.refresh_from_db()
    assert version.title == purpose.title


def _purpose_update(purpose, actor, **changes):
    fields = {
        "title": purpose.title,
        "description": purpose.description,
        "retention_days": purpose.retention_days,
        "position": purpose.position,
        "active": purpose.active,
    }
    return purpose_update(purpose=purpose, actor=actor, **{**fields, **changes})


def test_editing_a_purpose_text_in_admin_writes_one_staff_action(superuser_client, superuser):
    purpose = PurposeFactory(title="Avatar generation")
    url = _admin_url(type(purpose), "change", purpose.pk)

    superuser_client.post(url, _change_form_data(superuser_client.get(url), title="Avatar and cameo generation"))

    action = StaffAction.objects.get()
    assert (action.actor, action.kind, action.target) == (
        superuser,
        StaffAction.Kind.CHANGE,
        f"consents.Purpose:{purpose.pk}",
    )
    assert action.reason == "published version 2"


def test_adding_a_purpose_in_admin_writes_a_staff_action(superuser_client, superuser):
    data = {"slug": "avatar", "title": "Avatar generation", "description": "We draw you.", "retention_days": 30}
    data.update({"position": 1, "active": "on", "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0})

    response = superuser_client.post(_admin_url(Purpose, "add"), data)

    assert response.status_code == HTTPStatus.FOUND
    action = StaffAction.objects.get()
    assert (action.actor, action.reason) == (superuser, "created")
    assert action.target == f"consents.Purpose:{Purpose.objects.get(slug='avatar').pk}"


def test_a_purpose_created_by_staff_is_not_kept_when_its_staff_action_cannot_be_written(superuser):
    with staff_audit_refused(), pytest.raises(AuditRefused):
        PurposeFactory(slug="avatar", actor=superuser)

    assert not Purpose.objects.filter(slug="avatar").exists()


def test_purpose_update_of_order_and_activity_is_a_plain_update_and_audited(superuser):
    purpose = PurposeFactory(position=1)

    version = _purpose_update(purpose, superuser, position=7, active=False)

    purpose.refresh_from_db()
    assert version is None
    assert (purpose.position, purpose.active, purpose.version) == (7, False, 1)
    assert StaffAction.objects.get().reason == "position, active"


def test_purpose_update_with_new_retention_publishes_a_version(superuser):
    purpose = PurposeFactory(retention_days=30)

    version = _purpose_update(purpose, superuser, retention_days=90, change_note="Kept longer")

    assert (version.version, version.retention_days, version.change_note, version.published_by) == (
        2,
        90,
        "Kept longer",
        superuser,
    )
    assert version.requires_reconsent is False


def test_purpose_update_asking_for_reconsent_publishes_a_version_even_for_the_same_text(superuser):
    purpose = PurposeFactory()

    version = _purpose_update(purpose, superuser, requires_reconsent=True)

    purpose.refresh_from_db()
    assert (version.version, purpose.min_valid_version) == (2, 2)
    assert StaffAction.objects.get().reason == "published version 2"


def test_purpose_update_without_a_change_writes_nothing(superuser):
    purpose = PurposeFactory()

    assert _purpose_update(purpose, superuser) is None

    assert not StaffAction.objects.exists()
    assert PurposeVersion.objects.filter(purpose=purpose).count() == 1


def test_purpose_update_is_undone_when_its_staff_action_cannot_be_written(superuser):
    purpose = PurposeFactory(title="Avatar generation", position=1)

    with staff_audit_refused(), pytest.raises(AuditRefused):
        _purpose_update(purpose, superuser, title="Avatar and cameo generation", position=7)

    purpose.refresh_from_db()
    assert (purpose.title, purpose.position, purpose.version) == ("Avatar generation", 1, 1)
    assert PurposeVersion.objects.filter(purpose=purpose).count() == 1


# --- Staff views of personal data are audited -------------------------------------------------
def test_opening_a_consent_state_in_admin_writes_a_staff_action(superuser_client, superuser):
    state = ConsentStateFactory()

    response = superuser_client.get(_admin_url(ConsentState, "change", state.pk))

    assert response.status_code == HTTPStatus.OK
    action = StaffAction.objects.get()
    assert action.actor == superuser
    assert action.subject == state.subject
    assert action.kind == StaffAction.Kind.VIEW
    assert action.target == f"consents.ConsentState:{state.pk}"


def test_opening_a_user_in_admin_writes_a_staff_action(superuser_client, superuser, subject):
    response = superuser_client.get(reverse("admin:accounts_user_change", args=[subject.pk]))

    assert response.status_code == HTTPStatus.OK
    action = StaffAction.objects.get()
    assert (action.actor, action.subject, action.kind) == (superuser, subject, StaffAction.Kind.VIEW)
    assert action.target == f"accounts.User:{subject.pk}"
    assert subject.email not in action.target


def test_listing_consent_states_writes_no_staff_action(superuser_client):
    ConsentStateFactory()

    superuser_client.get(_admin_url(ConsentState, "changelist"))

    assert not StaffAction.objects.exists()


def test_a_refused_view_is_not_logged_as_a_view(client):
    state = ConsentStateFactory()
    client.force_login(UserFactory(staff=True, groups=["Support"]))

    response = client.get(_admin_url(ConsentState, "change", state.pk))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not StaffAction.objects.exists()
