"""The atlas's shared anatomical frame.

Every mesh, landmark and camera is expressed in one right-handed frame for the
right knee, in millimetres:

- ``+x`` lateral (toward the fibula), ``+y`` anterior, ``+z`` superior;
- axes are the scanner's patient axes of the MRI (right, anterior, superior);
- origin at the joint line: the centroid of the medial and lateral tibial
  cartilage of the MRI segmentation.
"""

from __future__ import annotations

import numpy as np

UNITS = "mm"
AXES = {"x": "lateral", "y": "anterior", "z": "superior"}
ORIGIN_DEFINITION = (
    "centroid of the medial and lateral tibial cartilage of the MRI segmentation "
    "(on the joint line, at the centre of the tibial plateau)"
)

#: Left-posterior-superior (scanner) to right-anterior-superior. For a right knee
#: the subject's right is lateral, so RAS is (+x lateral, +y anterior, +z superior).
LPS_TO_FRAME = np.diag([-1.0, -1.0, 1.0])


def describe() -> dict[str, object]:
    """Return the frame's description as plain data for metadata files.

    Examples
    --------
    >>> describe()["units"]
    'mm'
    """
    return {"units": UNITS, "handedness": "right", "axes": dict(AXES), "origin": ORIGIN_DEFINITION}
