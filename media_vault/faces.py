"""Offline face detection with the Haar cascade that opencv-python-headless ships (nothing downloads)."""

import threading

import cv2
import numpy as np
from PIL import Image

_local = threading.local()
_MAX_SIDE = 1024  # detection runs on a downscaled copy; boxes are scaled back


def _classifier() -> cv2.CascadeClassifier:
    classifier = getattr(_local, "classifier", None)
    if classifier is None:
        classifier = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        if classifier.empty():
            raise RuntimeError("The Haar cascade for faces could not be loaded.")
        _local.classifier = classifier
    return classifier


def faces_detect(image: Image.Image) -> list[list[int]]:
    """Boxes [x, y, width, height] of the faces in an upright image, in its own pixels."""
    gray = image.convert("L")
    scale = min(1.0, _MAX_SIDE / max(gray.size))
    if scale < 1.0:
        gray = gray.resize((max(1, round(gray.width * scale)), max(1, round(gray.height * scale))))
    pixels = cv2.equalizeHist(np.asarray(gray, dtype=np.uint8))
    found = _classifier().detectMultiScale(pixels, scaleFactor=1.1, minNeighbors=5, minSize=(30, 30))
    return [[round(int(v) / scale) for v in box] for box in found] if len(found) else []
