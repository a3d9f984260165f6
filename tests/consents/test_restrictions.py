"""Likeness restrictions: a fixed list, a subject's set replaced only through restrictions_set."""

from http import HTTPStatus

import pytest

from consents import hooks
from consents.exceptions import UnknownRestriction
from consents.models import LikenessRestriction, SubjectRestriction
from consents.selectors import restriction_slugs_for_subject
from consents.services import restrictions_set

pytestmark = pytest.mark.django_db

SEEDED = {"no-political", "no-sexual", "no-violence", "no-advertising", "no-voice", "no-minors-in-scene"}


@pytest.fixture
def heard(monkeypatch) -> list:
    heard: list = []
    monkeypatch.setattr(hooks.restrictions_changed, "_subscribers", [heard.append])
    return heard


def test_the_list_is_seeded_with_the_contract_restrictions():
    assert set(LikenessRestriction.objects.filter(active=True).values_list("slug", flat=True)) >= SEEDED


def test_setting_replaces_the_whole_set_and_announces_it(subject, heard):
    restrictions_set(subject=subject, slugs=["no-political", "no-voice"], actor=subject)

    chosen = restrictions_set(subject=subject, slugs=["no-voice", "no-sexual"], actor=subject)

    assert set(chosen) == {"no-voice", "no-sexual"}
    assert set(restriction_slugs_for_subject(subject=subject)) == {"no-voice", "no-sexual"}
    assert [set(change.restrictions) for change in heard] == [{"no-political", "no-voice"}, {"no-voice", "no-sexual"}]
    assert all(change.subject == subject for change in heard)


def test_setting_the_same_set_again_announces_nothing(subject, heard):
    restrictions_set(subject=subject, slugs=["no-political"], actor=subject)

    restrictions_set(subject=subject, slugs=["no-political", "no-political"], actor=subject)

    assert len(heard) == 1


def test_an_unknown_or_retired_slug_is_refused_and_nothing_changes(subject, heard):
    restrictions_set(subject=subject, slugs=["no-political"], actor=subject)
    LikenessRestriction.objects.filter(slug="no-voice").update(active=False)

    with pytest.raises(UnknownRestriction) as refused:
        restrictions_set(subject=subject, slugs=["no-sexual", "make-me-taller", "no-voice"], actor=subject)

    assert refused.value.code == "unknown_restriction"
    assert "make-me-taller" in refused.value.detail and "no-voice" in refused.value.detail
    assert restriction_slugs_for_subject(subject=subject) == ["no-political"]
    assert len(heard) == 1


def test_me_api_get_lists_my_restrictions(me_api, subject):
    restrictions_set(subject=subject, slugs=["no-voice", "no-political"], actor=subject)

    response = me_api.get("/api/v1/me/restrictions/")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"restrictions": ["no-political", "no-voice"]}  # in list order


def test_me_api_put_replaces_my_restrictions(me_api, subject):
    response = me_api.put("/api/v1/me/restrictions/", {"restrictions": ["no-advertising"]}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"restrictions": ["no-advertising"]}
    assert restriction_slugs_for_subject(subject=subject) == ["no-advertising"]


def test_me_api_put_with_an_unknown_slug_answers_a_problem_naming_it(me_api, subject):
    restrictions_set(subject=subject, slugs=["no-voice"], actor=subject)

    response = me_api.put("/api/v1/me/restrictions/", {"restrictions": ["no-sexual", "Be nice"]}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "unknown_restriction"
    assert "Be nice" in response.json()["detail"]
    assert restriction_slugs_for_subject(subject=subject) == ["no-voice"]


def test_me_api_put_needs_the_csrf_token(subject):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(subject)

    response = client.put("/api/v1/me/restrictions/", {"restrictions": ["no-voice"]}, format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not SubjectRestriction.objects.filter(subject=subject).exists()


def test_me_api_answers_403_when_signed_out(client):
    assert client.get("/api/v1/me/restrictions/").status_code == HTTPStatus.FORBIDDEN


def test_erasure_removes_the_subjects_restrictions_and_counts_them(subject):
    from consents.services import consent_records_anonymise_for_subject

    restrictions_set(subject=subject, slugs=["no-political", "no-voice"], actor=subject)

    counts = consent_records_anonymise_for_subject(subject=subject)

    assert counts["restrictions"] == 2
    assert not SubjectRestriction.objects.filter(subject=subject).exists()
