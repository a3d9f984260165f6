"""The find-me accuracy set, built in memory from the public-domain portraits the repository ships.

Each photo (tests/find_me/files/SOURCES.md; the astronaut is tests/media_vault/files/astronaut.png) gives its
original and transformations of it: crops that keep the face, scaling, brightness, small rotations, a mirror,
heavy JPEG re-encoding, and combinations. Every image then goes through the portal's own pipeline
(media_vault.faces): detect, take the best box, embed. An image where no face is found is kept, with no
embedding: it counts as a false non-match against every image of its person, never silently dropped.

tests/find_me/test_accuracy.py and bench/find_me_accuracy share this module.
"""

import functools
import io
import itertools
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from media_vault.faces import face_embeddings, faces_detect

FILES = Path(__file__).resolve().parent / "files"
ASTRONAUT = Path(__file__).resolve().parents[1] / "media_vault" / "files" / "astronaut.png"

# The smallest face (box width, px) dlib's HOG detector finds in faces_detect (no upsampling): in the shipped
# photos scaled down 5% at a time it found faces of 57 to 64 px (it reports them as 72 px boxes, its 80 px
# window) and missed every face of 54 px or less. A transformation that leaves a face smaller than this is
# expected to be missed, and the benchmark counts it as a false non-match.
SMALLEST_FACE = 64


@dataclass(frozen=True)
class Photo:
    name: str
    person: str
    path: Path
    # [x, y, w, h] of the face in the shipped file: the box faces_detect gave, written down so that the crops
    # do not depend on the detector under test.
    face: tuple[int, int, int, int]


PHOTOS = (
    Photo("astronaut", "Eileen Collins", ASTRONAUT, (179, 83, 87, 87)),
    Photo("grace_hopper", "Grace Hopper", FILES / "grace_hopper.jpg", (161, 137, 215, 215)),
    Photo("obama_portrait", "Barack Obama", FILES / "obama_portrait.jpg", (321, 129, 246, 246)),
    Photo("obama_blue_room", "Barack Obama", FILES / "obama_blue_room.jpg", (320, 254, 295, 295)),
    Photo("biden_blue_room", "Joe Biden", FILES / "biden_blue_room.jpg", (430, 239, 246, 246)),
)


def _crop_tight(image: Image.Image, face: tuple[int, ...]) -> Image.Image:
    """The face with 60% of its width around it: a head shot."""
    x, y, w, h = face
    return image.crop(
        (max(0, x - 0.6 * w), max(0, y - 0.6 * h), min(image.width, x + 1.6 * w), min(image.height, y + 1.6 * h))
    )


def _crop_corner(image: Image.Image, face: tuple[int, ...]) -> Image.Image:
    """The face in the upper-left corner of the picture, with most of the body and background below and right."""
    x, y, w, h = face
    return image.crop(
        (max(0, x - 0.2 * w), max(0, y - 0.2 * h), min(image.width, x + 3 * w), min(image.height, y + 3.5 * h))
    )


def _scale(factor: float) -> Callable[[Image.Image, tuple[int, ...]], Image.Image]:
    def scale(image: Image.Image, _face: tuple[int, ...]) -> Image.Image:
        return image.resize((round(image.width * factor), round(image.height * factor)), Image.LANCZOS)

    return scale


def _brightness(factor: float) -> Callable[[Image.Image, tuple[int, ...]], Image.Image]:
    def brightness(image: Image.Image, _face: tuple[int, ...]) -> Image.Image:
        return ImageEnhance.Brightness(image).enhance(factor)

    return brightness


def _rotate(degrees: float) -> Callable[[Image.Image, tuple[int, ...]], Image.Image]:
    def rotate(image: Image.Image, _face: tuple[int, ...]) -> Image.Image:
        return image.rotate(degrees, resample=Image.BICUBIC, expand=True)  # counter-clockwise; corners black

    return rotate


def _jpeg(quality: int) -> Callable[[Image.Image, tuple[int, ...]], Image.Image]:
    def jpeg(image: Image.Image, _face: tuple[int, ...]) -> Image.Image:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")

    return jpeg


def _mirror(image: Image.Image, _face: tuple[int, ...]) -> Image.Image:
    return ImageOps.mirror(image)


# name -> (steps applied in order, how much the face is scaled). Crops come first: they use the face box.
TRANSFORMATIONS: dict[str, tuple[tuple[Callable, ...], float]] = {
    "crop tight": ((_crop_tight,), 1.0),
    "crop corner": ((_crop_corner,), 1.0),
    "scale 50%": ((_scale(0.5),), 0.5),
    "scale 35%": ((_scale(0.35),), 0.35),
    "brightness 0.6": ((_brightness(0.6),), 1.0),
    "brightness 1.4": ((_brightness(1.4),), 1.0),
    "rotate +8°": ((_rotate(8),), 1.0),
    "rotate -8°": ((_rotate(-8),), 1.0),
    "jpeg q35": ((_jpeg(35),), 1.0),
    "mirror": ((_mirror,), 1.0),
    "crop tight + rotate -8°": ((_crop_tight, _rotate(-8)), 1.0),
    "crop corner + brightness 0.6": ((_crop_corner, _brightness(0.6)), 1.0),
    "scale 50% + jpeg q35": ((_scale(0.5), _jpeg(35)), 0.5),
    "rotate +8° + brightness 1.4 + jpeg q35": ((_rotate(8), _brightness(1.4), _jpeg(35)), 1.0),
}
ORIGINAL = "original"


@dataclass(frozen=True)
class Sample:
    """One image of the set: whose face, from which photo, made how."""

    person: str
    photo: str
    transformation: str
    face_width: int  # the face's expected width in this image, px (the original's box times the scaling)
    image: Image.Image | None = None

    @property
    def label(self) -> str:
        return f"{self.photo} / {self.transformation}"


def faceset_images() -> Iterator[Sample]:
    """Every image of the set, photo by photo, the original first (made on demand: they are not kept)."""
    for photo in PHOTOS:
        with Image.open(photo.path) as opened:
            original = opened.convert("RGB")
        yield Sample(photo.person, photo.name, ORIGINAL, photo.face[2], original)
        for name, (steps, face_scale) in TRANSFORMATIONS.items():
            image = original
            for step in steps:
                image = step(image, photo.face)
            yield Sample(photo.person, photo.name, name, round(photo.face[2] * face_scale), image)


@dataclass(frozen=True)
class Embedded:
    """A sample after the pipeline: the best box and its embedding, or None for both when no face was found."""

    sample: Sample  # without its image
    size: tuple[int, int]  # the image's width and height, px
    box: list[int] | None
    embedding: np.ndarray | None
    detect_seconds: float
    embed_seconds: float | None


@functools.cache
def faceset_embeddings() -> tuple[Embedded, ...]:
    """Every sample through faces_detect and face_embeddings (best box only), computed once per process."""
    results = []
    for sample in faceset_images():
        started = time.perf_counter()
        boxes = faces_detect(sample.image)
        detected = time.perf_counter()
        box = embedding = embed_seconds = None
        if boxes:
            box = boxes[0]
            embedding = face_embeddings(sample.image, [box])[0]
            embed_seconds = time.perf_counter() - detected
        label = Sample(sample.person, sample.photo, sample.transformation, sample.face_width)
        results.append(Embedded(label, sample.image.size, box, embedding, detected - started, embed_seconds))
    return tuple(results)


@dataclass(frozen=True)
class Pair:
    a: Embedded
    b: Embedded
    distance: float  # inf when either image has no face found

    @property
    def same_person(self) -> bool:
        return self.a.sample.person == self.b.sample.person

    @property
    def same_photo(self) -> bool:
        return self.a.sample.photo == self.b.sample.photo


def distance(a: Embedded, b: Embedded) -> float:
    """Euclidean distance of two embeddings (inf when a face is missing: it cannot match)."""
    if a.embedding is None or b.embedding is None:
        return float("inf")
    return float(np.linalg.norm(a.embedding.astype(np.float64) - b.embedding.astype(np.float64)))


def faceset_pairs() -> list[Pair]:
    """Every unordered pair of images of the set."""
    return [Pair(a, b, distance(a, b)) for a, b in itertools.combinations(faceset_embeddings(), 2)]


@dataclass(frozen=True)
class Errors:
    """False matches and false non-matches at one threshold (a pair matches when its distance <= threshold).

    FMR counts the pairs of different people whose two faces were found (a missing face cannot match, and counting
    those pairs would only flatter the rate); FNMR counts every pair of one person, a face not found being a miss.
    """

    false_matches: int
    different_pairs: int
    false_non_matches: int
    same_pairs: int

    @property
    def fmr(self) -> float:
        return self.false_matches / self.different_pairs

    @property
    def fnmr(self) -> float:
        return self.false_non_matches / self.same_pairs


def errors_at(pairs: list[Pair], threshold: float) -> Errors:
    same = [pair.distance for pair in pairs if pair.same_person]
    different = [pair.distance for pair in pairs if not pair.same_person and pair.distance != float("inf")]
    return Errors(
        false_matches=sum(d <= threshold for d in different),
        different_pairs=len(different),
        false_non_matches=sum(d > threshold for d in same),
        same_pairs=len(same),
    )


def summary(distances: list[float]) -> tuple[float, float, float]:
    """(min, median, max) of finite distances."""
    finite = [d for d in distances if d != float("inf")]
    return min(finite), statistics.median(finite), max(finite)
