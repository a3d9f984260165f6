"""Offline face detection with dlib (HOG): no model file, nothing downloaded."""

import io

import numpy as np
import pytest
from PIL import Image

from media_vault.faces import faces_detect
from tests.media_vault.factories import FaceUploadFactory


@pytest.fixture
def astronaut(astronaut_png) -> Image.Image:
    return Image.open(io.BytesIO(astronaut_png)).convert("RGB")


def _inside(box: list[int], size: tuple[int, int]) -> bool:
    x, y, w, h = box
    return x >= 0 and y >= 0 and x + w <= size[0] and y + h <= size[1]


def test_astronaut_portrait_has_a_face_with_a_plausible_box(astronaut):
    boxes = faces_detect(astronaut)

    assert len(boxes) >= 1
    x, y, w, h = boxes[0]
    assert _inside(boxes[0], astronaut.size)
    assert 50 <= w <= 250 and 0.8 <= w / h <= 1.25
    # the face is in the upper half, left of the centre (the flag and helmet take the rest)
    assert y + h / 2 < 256 and x + w / 2 < 300


def test_blank_image_has_no_face():
    assert faces_detect(Image.new("RGB", (512, 512), "white")) == []


def test_noise_image_has_no_face():
    noise = np.random.default_rng(seed=7).integers(0, 256, size=(512, 512, 3), dtype=np.uint8)

    assert faces_detect(Image.fromarray(noise)) == []


def test_boxes_of_a_large_image_are_in_its_own_pixels(astronaut):
    # detection runs on a copy of at most 896 px; the boxes must be scaled back to the original
    (x, y, w, h), *_ = faces_detect(astronaut)
    large = astronaut.resize((2048, 2048))

    boxes = faces_detect(large)

    assert len(boxes) >= 1
    lx, ly, lw, lh = boxes[0]
    assert abs(lx - 4 * x) <= 0.15 * 4 * w and abs(ly - 4 * y) <= 0.15 * 4 * h
    assert 0.8 <= lw / (4 * w) <= 1.25 and 0.8 <= lh / (4 * h) <= 1.25


@pytest.mark.django_db
def test_upload_records_how_many_faces_and_where(subject, astronaut_png):
    upload = FaceUploadFactory(subject=subject, image=astronaut_png)

    assert upload.faces_detected == len(upload.face_boxes) >= 1
    assert all(_inside(box, (upload.width, upload.height)) for box in upload.face_boxes)


@pytest.mark.django_db
def test_upload_without_a_face_records_none(subject):
    upload = FaceUploadFactory(subject=subject)

    assert (upload.faces_detected, upload.face_boxes) == (0, [])
