"""Plain types shared by every layer (the bottom of the import graph, beside ``errors``)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RGBPixels = npt.NDArray[np.uint8]
"""A C-contiguous ``(height, width, 3)`` uint8 array of RGB pixels."""
