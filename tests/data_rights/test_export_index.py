"""What the export's index.html says (DESIGN.md "Export archive"): the archive's data in the portal's words.

The page as a person sees it (layout, axe, phone width) is tested in a browser: test_export_index_page.py.
"""

import json
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

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
