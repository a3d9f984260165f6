"""Comparing faces with every enrolled template at once: a matrix product held in memory for one batch.

The templates are decrypted into one float32 matrix when a batch starts and dropped when it ends; nothing
decrypted is written anywhere. One face against 100,000 templates is one (100000 x 128) product (bench/find_me).
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from find_me.similarity import MATCH_DISTANCE
from media_vault.crypto import object_decrypt, object_encrypt
from media_vault.faces import EMBEDDING_SIZE


def template_encrypt(*, data_key: bytes, name: str, vector: np.ndarray) -> bytes:
    """AES-256-GCM under the subject's data key, bound to the template's name."""
    return object_encrypt(data_key=data_key, name=name, plaintext=np.asarray(vector, dtype="<f4").tobytes())


def template_decrypt(*, data_key: bytes, name: str, blob: bytes) -> np.ndarray:
    return np.frombuffer(object_decrypt(data_key=data_key, name=name, blob=bytes(blob)), dtype="<f4")


@dataclass(frozen=True)
class Match:
    """The closest of a subject's templates to one face of an upload."""

    subject_id: int
    face_index: int
    distance: float


class EnrolledTemplates:
    """Every enrolled template of one batch, decrypted: the subjects they belong to, when they were made, and the
    vectors, row by row."""

    def __init__(self, *, subject_ids: list[int], made_at: list[float], vectors: np.ndarray) -> None:
        self.subject_ids = np.asarray(subject_ids, dtype=np.int64)
        self.made_at = np.asarray(made_at, dtype=np.float64)
        self.vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, EMBEDDING_SIZE)
        self.squared_norms = np.einsum("ij,ij->i", self.vectors, self.vectors)

    def __len__(self) -> int:
        return len(self.subject_ids)

    def matches(self, *, faces: np.ndarray, uploader_id: int, uploaded_at: datetime) -> list[Match]:
        """For each subject other than the uploader whose template was made before the upload (no back-scan), the
        closest face within MATCH_DISTANCE, if any: at most one match per subject."""
        if not len(self) or not len(faces):
            return []
        faces = np.asarray(faces, dtype=np.float32)
        # |t - f|^2 = |t|^2 - 2 t.f + |f|^2, for every template t and face f in one product
        squared = self.squared_norms[:, None] - 2.0 * (self.vectors @ faces.T) + np.einsum("ij,ij->i", faces, faces)
        distances = np.sqrt(np.maximum(squared, 0.0))
        eligible = (self.subject_ids != uploader_id) & (self.made_at <= uploaded_at.timestamp())
        rows, columns = np.nonzero((distances <= MATCH_DISTANCE) & eligible[:, None])
        best: dict[int, Match] = {}
        for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
            subject_id, distance = int(self.subject_ids[row]), float(distances[row, column])
            if subject_id not in best or distance < best[subject_id].distance:
                best[subject_id] = Match(subject_id=subject_id, face_index=column, distance=distance)
        return sorted(best.values(), key=lambda match: match.distance)
