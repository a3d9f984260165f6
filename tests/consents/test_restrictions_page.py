"""The consent page's "Rules for your likeness" section, without JavaScript and with htmx."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from consents.selectors import restriction_slugs_for_subject
from consents.services import restrictions_set

pytestmark = pytest.mark.django_db


def _csrf(client) -> str:
    client.get(reverse("consents:consent_list"))
    return client.cookies["csrftoken"].value


def test_the_page_shows_a_checkbox_per_restriction_in_a_fieldset(subject_client, subject):
    restrictions_set(subject=subject, slugs=["no-voice"], actor=subject)

    html = subject_client.get(reverse("consents:consent_list")).content.decode()

    assert "Rules for your likeness" in html
    assert "<legend>" in html
    assert 'value="no-political" id="restriction-no-political"' in html
    assert 'id="restriction-no-voice" aria-describedby="restriction-no-voice-help" checked' in html


def test_saving_without_javascript_sets_the_rules_and_says_so_in_the_section(subject_client, subject):
    token = _csrf(subject_client)

    response = subject_client.post(
        reverse("consents:restrictions_update"),
        {"restrictions": ["no-sexual", "no-advertising"], "csrfmiddlewaretoken": token},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("consents:consent_list") + "#restrictions"
    assert restriction_slugs_for_subject(subject=subject) == ["no-sexual", "no-advertising"]
    page = subject_client.get(response.url).content.decode()
    section = page.split('data-testid="feedback-restrictions"', 1)[1].split("</div>", 1)[0]
    assert "Your rules for your likeness are saved." in section


def test_unticking_everything_clears_the_rules(subject_client, subject):
    restrictions_set(subject=subject, slugs=["no-voice"], actor=subject)
    token = _csrf(subject_client)

    subject_client.post(reverse("consents:restrictions_update"), {"csrfmiddlewaretoken": token})

    assert restriction_slugs_for_subject(subject=subject) == []


def test_a_value_not_on_the_list_changes_nothing(subject_client, subject):
    restrictions_set(subject=subject, slugs=["no-voice"], actor=subject)
    token = _csrf(subject_client)

    response = subject_client.post(
        reverse("consents:restrictions_update"), {"restrictions": ["anything I like"], "csrfmiddlewaretoken": token}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert restriction_slugs_for_subject(subject=subject) == ["no-voice"]


def test_htmx_save_answers_the_section_with_the_message(subject_client, subject):
    token = _csrf(subject_client)

    response = subject_client.post(
        reverse("consents:restrictions_update"),
        {"restrictions": ["no-political"], "csrfmiddlewaretoken": token},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == HTTPStatus.OK
    assert "Your rules for your likeness are saved." in response.content.decode()
    assert restriction_slugs_for_subject(subject=subject) == ["no-political"]
