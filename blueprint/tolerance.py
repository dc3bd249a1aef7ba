"""The one tolerance of the package: how close two chances or expectations must be to count as equal.

Chances that add up to 1 within :data:`TOLERANCE` add up to 1 (a file's ``p`` written to six
places); the exact chain (:mod:`blueprint.chain`) gives every expectation to within
:data:`TOLERANCE` of the exact answer, relatively, whether it solves directly or iteratively.

Examples
--------
>>> abs(0.1 + 0.2 + 0.7 - 1.0) <= TOLERANCE
True
"""
from __future__ import annotations

__all__ = ["TOLERANCE"]

#: How close two chances or expectations must be to count as equal (relative, for large figures).
TOLERANCE = 1e-9
