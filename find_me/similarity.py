"""How close two face embeddings must be to count as the same person, and how that is said to the person.

dlib's embeddings are compared by Euclidean distance: 0 is identical, dlib's own "same person" line is 0.6. The
line here is chosen from distances measured on the shipped test set (tests/find_me/files, bench/find_me_accuracy):
a false match shows a person a blurred part of a stranger's photo, so the line sits well below the closest
different people and above the farthest transformations of one face. Measured on 75 images of 4 people
(2026-12-01): one person's images are at most 0.396 apart (two photos of one man 0.32 to 0.40) and different people
at least 0.608, so 0.5 sits in the middle of that gap, 0.4 above every same-person pair, and no line from 0.40 to
0.60 makes a false match.
"""

# A face this close to an enrolled template (or closer) is a sighting.
MATCH_DISTANCE = 0.5
# Closer than this is said as "very likely you"; between it and MATCH_DISTANCE, "likely you".
VERY_LIKELY_DISTANCE = 0.4

VERY_LIKELY = "very_likely"
LIKELY = "likely"


def similarity_of(distance: float) -> str:
    """The word for a match's distance (only distances up to MATCH_DISTANCE are matches)."""
    return VERY_LIKELY if distance < VERY_LIKELY_DISTANCE else LIKELY
