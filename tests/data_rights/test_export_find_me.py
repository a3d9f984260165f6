"""Find me in the export (rule 6, DESIGN "Find me"): find_me.json lists that face templates exist, when they were made
and from which photo, never their values; and every sighting, never the other person's photo. index.html says both in
words."""

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from data_rights.services import export_build, export_request
from find_me.matching import template_decrypt
from find_me.models import FaceTemplate, Sighting
from find_me.selectors import sighting_preview_jpeg
from find_me.services import sighting_removal_request
from find_me.similarity import similarity_of
from media_vault.selectors import upload_image_bytes
from media_vault.services import upload_erase
from media_vault.storage import subject_data_key

pytestmark = pytest.mark.django_db


def _export(subject, archive_open):
    return archive_open(export_build(request_id=export_request(subject=subject).pk))


def _everything(archive) -> bytes:
    return b"".join(archive.read(name) for name in archive.namelist())


def _row(html: str, element_id: str) -> list[str]:
    """The text of each cell of one table row, tags stripped, spaces collapsed."""
    match = re.search(rf'<tr id="{element_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row {element_id} on the page"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells]


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section class="card" id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert match, f"no section {section_id} on the page"
    return match.group(1)


def test_find_me_json_lists_the_template_and_the_sighting(found, archive_open):
    template = FaceTemplate.objects.get(subject=found.subject)
    sighting = Sighting.objects.get(subject=found.subject)

    section = json.loads(_export(found.subject, archive_open).read("find_me.json"))

    assert section == {
        "face_templates": [
            {
                "id": str(template.pk),
                "made_at": template.created_at.isoformat(),
                "from_upload_id": str(found.own_photo.pk),
            }
        ],
        "sightings": [
            {
                "id": str(sighting.pk),
                "app": "Cameo Studio",
                "found_at": sighting.found_at.isoformat(),
                "similarity": similarity_of(sighting.distance),
                "status": "found",
                "removal_due_at": None,
            }
        ],
    }


def test_the_archive_holds_no_template_value(found, archive_open):
    template = FaceTemplate.objects.get(subject=found.subject)
    vector = template_decrypt(
        data_key=subject_data_key(subject=found.subject), name=template.object_name, blob=template.vector_encrypted
    )

    archive = _export(found.subject, archive_open)
    everything = _everything(archive)

    assert vector.astype("<f4").tobytes() not in everything
    assert vector.astype(">f4").tobytes() not in everything
    assert bytes(template.vector_encrypted) not in everything
    text = everything.decode("latin-1")
    for value in vector[:16]:  # nor as numbers in a JSON file or the page
        assert repr(float(value)) not in text and str(value) not in text


def test_the_archive_holds_no_image_or_id_of_the_other_persons_photo(found, archive_open):
    sighting = Sighting.objects.get(subject=found.subject)
    theirs = found.their_photo
    their_pictures = [
        upload_image_bytes(upload=theirs),
        upload_image_bytes(upload=theirs, thumbnail=True),
        sighting_preview_jpeg(sighting=sighting),
    ]

    archive = _export(found.subject, archive_open)
    everything = _everything(archive)

    assert not [picture for picture in their_pictures if picture in everything]
    assert str(theirs.pk).encode() not in everything and theirs.pk.hex.encode() not in everything
    assert json.dumps(sighting.face_box).encode() not in archive.read("find_me.json")
    images = {name for name in archive.namelist() if not name.endswith((".json", ".html"))}
    assert images == {
        *(f"uploads/{u.pk}.{u.extension}" for u in found.uploads),
        f"appearances/{found.appearance.pk}.jpg",
    }


def test_index_shows_the_template_with_the_photo_it_was_made_from(found, archive_open):
    template = FaceTemplate.objects.get(subject=found.subject)

    html = _export(found.subject, archive_open).read("index.html").decode()

    section = _section(html, "find-me")
    own = str(found.own_photo.pk)
    assert f'<a href="#upload-{own}" title="{own}">Photo {own[:8]}</a>' in section
    assert f"<code>{str(template.pk)[:8]}</code>" in section
    assert "The templates themselves are not in this archive" in section
    assert '<a href="#find-me">Find me</a>' in html
    assert "<code>find_me.json</code>" in html


def test_index_shows_each_sighting_in_words_with_its_removal(found, archive_open):
    sighting = Sighting.objects.get(subject=found.subject)
    asked = timezone.now() - timedelta(hours=49)
    sighting_removal_request(sighting=sighting, now=asked)
    due = timezone.localtime(asked + timedelta(hours=48))
    likely = "Very likely you" if similarity_of(sighting.distance) == "very_likely" else "Likely you"

    html = _export(found.subject, archive_open).read("index.html").decode()

    found_at = timezone.localtime(sighting.found_at).strftime("%-d %b %Y, %H:%M")
    assert _row(html, f"sighting-{sighting.pk}") == [
        found_at,
        "a photo in Cameo Studio",
        likely,
        "Removal overdue",
        due.strftime("%-d %b %Y, %H:%M"),
        str(sighting.pk)[:8],
    ]


def test_index_shows_a_sighting_whose_photo_is_gone_as_removed(found, archive_open):
    sighting = Sighting.objects.get(subject=found.subject)
    upload_erase(upload_id=found.their_photo.pk)

    archive = _export(found.subject, archive_open)

    assert json.loads(archive.read("find_me.json"))["sightings"][0]["status"] == "removed"
    assert _row(archive.read("index.html").decode(), f"sighting-{sighting.pk}")[3] == "Removed"


def test_index_says_when_find_me_holds_nothing(holdings, archive_open):
    archive = _export(holdings.subject, archive_open)

    assert json.loads(archive.read("find_me.json")) == {"face_templates": [], "sightings": []}
    section = _section(archive.read("index.html").decode(), "find-me")
    assert "No face templates were kept of you." in section
    assert "Your face was not found in anyone else's photos." in section
