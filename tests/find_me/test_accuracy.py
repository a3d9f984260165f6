"""Find-me's accuracy on the shipped set (tests/find_me/faceset.py): the same face is found through crops, scaling,
brightness, rotations, a mirror and JPEG re-encoding; different people are never matched; and MATCH_DISTANCE sits
between the two with room on both sides. bench/find_me_accuracy prints the figures behind these tests.

The embeddings are computed once per process (about 75 images through dlib, 10 s of CPU).
"""

import pytest

from find_me.similarity import MATCH_DISTANCE, VERY_LIKELY_DISTANCE
from tests.find_me import faceset

# How far MATCH_DISTANCE must stay from the farthest pair of one person and from the closest pair of different
# people in this set. Measured: 0.109 and 0.108 (0.391 and 0.608). dlib's own line, 0.6, is 0.008 from the
# closest different people here, so it would fail this.
MARGIN = 0.05


@pytest.fixture(scope="module")
def embedded() -> tuple[faceset.Embedded, ...]:
    return faceset.faceset_embeddings()


@pytest.fixture(scope="module")
def pairs(embedded) -> list[faceset.Pair]:
    return faceset.faceset_pairs()


def _originals(embedded) -> dict[str, faceset.Embedded]:
    return {e.sample.photo: e for e in embedded if e.sample.transformation == faceset.ORIGINAL}


def test_the_set_holds_every_photo_and_transformation(embedded):
    assert len(embedded) == len(faceset.PHOTOS) * (1 + len(faceset.TRANSFORMATIONS))
    assert len({e.sample.person for e in embedded}) == 4
    # every original is found, with its face where the set says it is (the crops are made around that box)
    for photo in faceset.PHOTOS:
        (found,) = [e for e in embedded if e.sample.photo == photo.name and e.sample.transformation == "original"]
        tolerance = 0.1 * photo.face[2]
        assert found.box is not None, photo.name
        assert all(abs(a - b) <= tolerance for a, b in zip(found.box, photo.face, strict=True)), photo.name


def test_every_transformation_is_matched_to_its_original(embedded):
    originals = _originals(embedded)
    failures = []
    for e in embedded:
        if e.sample.face_width < faceset.SMALLEST_FACE:
            continue  # below what the detector finds: the next test
        d = faceset.distance(e, originals[e.sample.photo])
        if not d <= MATCH_DISTANCE:
            failures.append(f"{e.sample.label}: {d:.3f}")

    assert failures == []


def test_only_faces_below_the_detectors_smallest_are_missed_and_they_count_as_false_non_matches(embedded, pairs):
    missed = [e for e in embedded if e.embedding is None]

    assert [e.sample.label for e in missed if e.sample.face_width >= faceset.SMALLEST_FACE] == []
    # the misses are not dropped: at any threshold, each is a false non-match with every image of its person
    errors = faceset.errors_at(pairs, threshold=10.0)
    expected = sum(p.same_person and (p.a.embedding is None or p.b.embedding is None) for p in pairs)
    assert errors.false_non_matches == expected
    assert errors.same_pairs == sum(p.same_person for p in pairs)


def test_two_different_photos_of_one_man_match_through_their_transformations(embedded, pairs):
    originals = _originals(embedded)
    assert faceset.distance(originals["obama_portrait"], originals["obama_blue_room"]) <= MATCH_DISTANCE

    across = [p for p in pairs if p.same_person and not p.same_photo]
    assert len(across) == (1 + len(faceset.TRANSFORMATIONS)) ** 2
    assert [f"{p.a.sample.label} vs {p.b.sample.label}" for p in across if not p.distance <= MATCH_DISTANCE] == []


def test_different_people_are_never_matched(pairs):
    different = [p for p in pairs if not p.same_person]
    assert len(different) == 2025

    false_matches = [
        f"{p.a.sample.label} vs {p.b.sample.label}: {p.distance:.3f}" for p in different if p.distance <= MATCH_DISTANCE
    ]
    assert false_matches == []


def test_the_match_line_sits_in_the_measured_gap_with_a_margin(pairs):
    farthest_same = max(p.distance for p in pairs if p.same_person and p.distance != float("inf"))
    closest_different = min(p.distance for p in pairs if not p.same_person)

    assert farthest_same + MARGIN <= MATCH_DISTANCE <= closest_different - MARGIN


def test_a_transformed_copy_of_a_photo_is_very_likely_the_same_person(pairs):
    # measured: at most 0.289 between two transformations of one photo (two photos of one man: 0.31 to 0.39, which
    # sits too close to the line to assert either word)
    farthest = max(p.distance for p in pairs if p.same_photo and p.distance != float("inf"))

    assert farthest + MARGIN <= VERY_LIKELY_DISTANCE < MATCH_DISTANCE
