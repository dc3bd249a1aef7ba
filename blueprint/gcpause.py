"""A pause of Python's cyclic garbage collector, for code that makes many small objects at once.

The simulation's event loop and the exact chain over a large blueprint allocate hundreds of
thousands of small tuples, lists and dicts that never refer to each other in cycles. Each burst of
allocations triggers the collector, whose full passes walk every object alive (a large blueprint is
millions of them), costing more than the work itself. Reference counting still frees everything.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["without_gc"]


@contextmanager
def without_gc() -> Iterator[None]:
    """Turn the cyclic garbage collector off for the block (back on after it, if it was on).

    Examples
    --------
    >>> with without_gc():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
