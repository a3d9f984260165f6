"""What the export's index.html says (DESIGN.md "Export archive"): the archive's data in the portal's words.

The page as a person sees it (layout, axe, phone width) is tested in a browser: test_export_index_page.py.
"""

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from appearances.services import appearance_report, appearance_takedown_request, appearance_taken_down
from consents.models import LikenessRestriction
from consents.services import consent_grant, consent_withdraw, purpose_update
from data_rights.export_index import export_index_context
from data_rights.services import export_build, export_request
from tests.accounts.factories import UserFactory


class _Tables(HTMLParser):
    """The text of every body cell of every table, by the table's caption."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: list[str] | None = None
        self._rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = []
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._rows.append([])
        elif tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption":
            self._name = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag == "td":
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self.tables[self._name] = [row for row in self._rows if row]

    def handle_data(self, data):
        for part in (self._caption, self._cell):
            if part is not None:
                part.append(data)


def _tables(export, archive_open) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(archive_open(export).read("index.html").decode())
    return parser.tables


def _consents_json(export, archive_open) -> dict:
    return json.loads(archive_open(export).read("consents.json"))


@pytest.mark.django_db
def test_decisions_are_numbered_per_person_not_by_the_ledgers_sequence(
    subject, other_subject, avatar, cameo, archive_open
):
    # given decisions of another person between this person's, so the ledger's sequence skips for them
    consent_grant(subject=subject, purpose_slug=avatar.slug, actor=subject)
    consent_grant(subject=other_subject, purpose_slug=avatar.slug, actor=other_subject)
    consent_grant(subject=other_subject, purpose_slug=cameo.slug, actor=other_subject)
    consent_grant(subject=subject, purpose_slug=cameo.slug, actor=subject)
    consent_grant(subject=other_subject, purpose_slug=cameo.slug, actor=other_subject)
    consent_withdraw(subject=subject, purpose_slug=avatar.slug, actor=subject)

    # when they export their data
    export = export_build(request_id=export_request(subject=subject).pk)

    # then consents.json keeps the ledger's numbers, and the page numbers their own decisions 1, 2, 3
    decisions = _tables(export, archive_open)["Every decision you made"]
    assert [row[0] for row in decisions] == ["1", "2", "3"]
    assert [(row[2], row[3]) for row in decisions] == [
        ("Avatar generation", "Granted"),
        ("Cameos in shared videos", "Granted"),
        ("Avatar generation", "Withdrawn"),
    ]
    seqs = [event["seq"] for event in _consents_json(export, archive_open)["events"]]
    assert seqs != [1, 2, 3] and seqs == sorted(seqs)


@pytest.mark.django_db
def test_a_purpose_no_longer_offered_is_named_by_its_title(subject, avatar, research, archive_open):
    consent_grant(subject=subject, purpose_slug=research.slug, actor=subject)
    purpose_update(
        purpose=research,
        actor=UserFactory(is_staff=True),
        title=research.title,
        description=research.description,
        retention_days=research.retention_days,
        position=research.position,
        active=False,
    )

    export = export_build(request_id=export_request(subject=subject).pk)

    decisions = _tables(export, archive_open)["Every decision you made"]
    assert [row[2] for row in decisions] == ["Model research"]


def test_a_code_the_page_does_not_know_is_shown_as_it_is_rather_than_failing_the_export():
    sections = {
        "profile.json": {
            "email": "a@example.org",
            "display_name": "",
            "date_joined": None,
            "last_login": None,
            "two_factor": ["passkey-2030"],
        },
        "consents.json": {
            "current": [
                {"purpose": "avatar", "title": "Avatars", "state": "paused", "purpose_version": 1, "changed_at": None}
            ],
            "events": [],
        },
        "uploads.json": [],
        "access_log.json": [
            {
                "when": datetime(2026, 1, 1, tzinfo=UTC),
                "who": "robot",
                "partner": None,
                "what": "sniffed",
                "why": "",
                "upload_id": None,
            }
        ],
        "partners.json": [],
        "requests.json": [],
    }

    context = export_index_context(sections=sections, purpose_titles={}, generated_at=datetime.now(tz=UTC))

    assert context["profile"]["two_factor"] == ["passkey-2030"]
    assert context["consents"][0]["state_label"] == "paused"
    assert context["access_log"][0]["what"] == "sniffed"


def _figure_text(html: str, element_id: str) -> str:
    """The text of one figure of the page (an upload or an appearance), tags stripped, spaces collapsed."""
    match = re.search(rf'<figure id="{element_id}">(.*?)</figure>', html, re.S)
    assert match, f"no figure {element_id} on the page"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def _img_of(html: str, element_id: str) -> dict[str, str] | None:
    match = re.search(rf'<figure id="{element_id}">\s*<img ([^>]*)>', html, re.S)
    return dict((k, unescape(v)) for k, v in re.findall(r'(\w+)="([^"]*)"', match.group(1))) if match else None


@pytest.mark.django_db
def test_index_lists_the_rules_the_person_set_for_their_likeness(holdings, archive_open):
    export = export_build(request_id=export_request(subject=holdings.subject).pk)

    rules = _tables(export, archive_open)["The rules you set for your likeness"]

    titles = dict(LikenessRestriction.objects.values_list("slug", "title"))
    assert [row[0] for row in rules] == [titles["no-political"], titles["no-voice"]]
    assert all(row[1] == "version 1" for row in rules)


def test_a_retired_rule_is_shown_as_no_longer_offered_and_no_rule_says_so():
    sections = _minimal_sections()
    sections["consents.json"]["restrictions"] = [
        {
            "restriction": "no-x",
            "title": "No X",
            "version": 2,
            "active": False,
            "chosen_at": datetime(2026, 1, 1, tzinfo=UTC),
        }
    ]
    context = export_index_context(sections=sections, purpose_titles={}, generated_at=datetime.now(tz=UTC))
    html = render_to_string("data_rights/export_index.html", context)
    parser = _Tables()
    parser.feed(html)
    assert parser.tables["The rules you set for your likeness"] == [
        ["No X (no longer offered)", "version 2", "1 Jan 2026, 00:00"]
    ]

    sections["consents.json"]["restrictions"] = []
    html = render_to_string(
        "data_rights/export_index.html",
        export_index_context(sections=sections, purpose_titles={}, generated_at=datetime.now(tz=UTC)),
    )
    assert "You had set no rules: apps followed only your consents." in html


@pytest.mark.django_db
def test_index_shows_every_sign_in_and_the_browsers_signed_in(holdings, archive_open):
    export = export_build(request_id=export_request(subject=holdings.subject).pk)
    tables = _tables(export, archive_open)

    sign_ins = tables["Every time you signed in"]
    sessions = tables["Browsers signed in to your account"]

    assert [row[1] for row in sign_ins] == ["Firefox on Linux First sign-in from it"]
    assert [(row[0], row[3]) for row in sessions] == [("Firefox on Linux", "127.0.0.1")]


@pytest.mark.django_db
def test_index_shows_each_appearance_with_its_thumbnail_and_takedown(holdings, avatar, archive_open):
    # given: the fixture's cameo by someone else (with a thumbnail), asked to be taken down with a reason; a clip the
    # person made themselves, with no thumbnail; and one the app already took down
    asked_at = timezone.now() - timedelta(hours=1)
    appearance_takedown_request(appearance=holdings.appearance, reason="not_me", now=asked_at)
    own = appearance_report(
        subject=holdings.subject,
        partner=holdings.partner,
        kind="audio",
        made_by="subject",
        purpose_slugs=[avatar.slug],
        created_at=timezone.now() - timedelta(days=2),
        content_sha256="cd" * 32,
    )
    gone = appearance_report(
        subject=holdings.subject,
        partner=holdings.partner,
        kind="image",
        made_by="subject",
        purpose_slugs=[avatar.slug],
        created_at=timezone.now() - timedelta(days=3),
        content_sha256="ef" * 32,
        title="Profile picture",
    )
    appearance_taken_down(appearance=gone)

    # when the person exports their data
    archive = archive_open(export_build(request_id=export_request(subject=holdings.subject).pk))
    html = archive.read("index.html").decode()

    # then each appearance is there, in words, with what happened to it
    cameo = _figure_text(html, f"appearance-{holdings.appearance.pk}")
    for words in (
        "Birthday cameo",
        "Takedown requested",
        "App Cameo Studio",
        "Kind Video",
        "Made by Someone else (cameo)",
        "For Cameos in shared videos",
        "Reason It is not how I want to be shown",
        f"Takedown due {timezone.localtime(asked_at + timedelta(hours=48)):%-d %b %Y, %H:%M}",
        f"Id {str(holdings.appearance.pk)[:8]}",
    ):
        assert words in cameo, (words, cameo)
    image = _img_of(html, f"appearance-{holdings.appearance.pk}")
    assert image["src"] == f"appearances/{holdings.appearance.pk}.jpg" and image["src"] in archive.namelist()
    assert image["alt"] == "Thumbnail of “Birthday cameo” from Cameo Studio"
    mine = _figure_text(html, f"appearance-{own.pk}")
    assert "Audio by Cameo Studio Live" in mine and "Made by You" in mine and "Takedown" not in mine
    assert "The app sent no picture of it." in mine and _img_of(html, f"appearance-{own.pk}") is None
    taken = _figure_text(html, f"appearance-{gone.pk}")
    assert "Profile picture Taken down" in taken and "Takedown due" not in taken


@pytest.mark.django_db
def test_a_takedown_past_its_deadline_when_the_copy_was_made_reads_overdue(holdings, archive_open):
    appearance_takedown_request(appearance=holdings.appearance, now=timezone.now() - timedelta(hours=49))

    archive = archive_open(export_build(request_id=export_request(subject=holdings.subject).pk))

    cameo = _figure_text(archive.read("index.html").decode(), f"appearance-{holdings.appearance.pk}")
    assert "Birthday cameo Overdue" in cameo and "(overdue)" in cameo
    assert json.loads(archive.read("appearances.json"))[0]["status"] == "takedown_requested"  # the JSON keeps the code


def _minimal_sections() -> dict:
    return {
        "profile.json": {
            "email": "a@example.org",
            "display_name": "",
            "date_joined": None,
            "last_login": None,
            "two_factor": [],
        },
        "consents.json": {"current": [], "events": []},
        "uploads.json": [],
        "access_log.json": [],
        "partners.json": [],
        "requests.json": [],
    }
