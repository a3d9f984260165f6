"""Offline faces with dlib: HOG detection, 5-point landmarks and 128-d embeddings.

`dlib-bin` is a prebuilt dlib; `face-recognition-models` ships the landmark and ResNet embedding models inside
the package, so nothing downloads at run time. One detector serves everything: the face count and boxes an upload
shows are the faces that find-me embeds.
"""

import threading

import dlib
import face_recognition_models
import numpy as np
from PIL import Image

_local = threading.local()
# Detection runs on a grayscale copy of at most 896 px (boxes are scaled back): on the find-me accuracy set
# (tests/find_me/faceset.py) it finds the same 72 of 75 faces as a colour copy of 1024 px, at half the CPU
# (34 against 69 ms for a 1-megapixel photo). The smallest face it finds is about 64 px in that copy.
_DETECT_MAX_SIDE = 896
# dlib's HOG score: every real face of that set scores 0.6 or more, the false hits (a patch of the flag behind the
# astronaut, a fold of cloth) 0.06 or less. dlib's own line, 0, let those through as second faces, which would
# stop a one-face photo from making a find-me template.
_DETECT_MIN_SCORE = 0.2
_EMBED_FACE_SIDE = 200  # a face is cropped and scaled to about this width before landmarks (the chip is 150 px)
EMBEDDING_SIZE = 128


def _models() -> tuple:
    """The detector, landmark predictor and embedding model of this thread (dlib objects are not shared)."""
    models = getattr(_local, "models", None)
    if models is None:
        models = (
            dlib.get_frontal_face_detector(),
            dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location()),
            dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location()),
        )
        _local.models = models
    return models


def faces_detect(image: Image.Image) -> list[list[int]]:
    """Boxes [x, y, width, height] of the frontal faces in an upright image, in its own pixels, best first."""
    gray = image.convert("L")
    scale = min(1.0, _DETECT_MAX_SIDE / max(gray.size))
    if scale < 1.0:
        gray = gray.resize((max(1, round(gray.width * scale)), max(1, round(gray.height * scale))), Image.BILINEAR)
    detector = _models()[0]
    rects, scores, _ = detector.run(np.asarray(gray), 0, _DETECT_MIN_SCORE)
    boxes = []
    for rect, _score in sorted(zip(rects, scores, strict=True), key=lambda pair: -pair[1]):
        left, top = max(0, rect.left()), max(0, rect.top())
        right, bottom = min(gray.width, rect.right()), min(gray.height, rect.bottom())
        if right > left and bottom > top:
            boxes.append([round(v / scale) for v in (left, top, right - left, bottom - top)])
    return boxes


def face_embeddings(image: Image.Image, boxes: list[list[int]]) -> np.ndarray:
    """One 128-d embedding (float32) per box, in order: the faces' descriptors, for comparison by distance.

    Each face is cropped with a margin and scaled to about 200 px first, so a 40-megapixel photo costs what a
    small one does.
    """
    _, predictor, model = _models()
    vectors = np.zeros((len(boxes), EMBEDDING_SIZE), dtype=np.float32)
    for row, (x, y, w, h) in enumerate(boxes):
        margin = max(w, h) // 2
        left, top = max(0, x - margin), max(0, y - margin)
        crop = image.crop((left, top, min(image.width, x + w + margin), min(image.height, y + h + margin)))
        scale = min(1.0, _EMBED_FACE_SIDE / max(w, h, 1))
        if scale < 1.0:
            crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.BICUBIC)
        pixels = np.asarray(crop.convert("RGB"))
        fx, fy = (x - left) * scale, (y - top) * scale
        rect = dlib.rectangle(round(fx), round(fy), round(fx + w * scale), round(fy + h * scale))
        vectors[row] = np.asarray(model.compute_face_descriptor(pixels, predictor(pixels, rect)), dtype=np.float32)
    return vectors
