"""A job module that the worker processes cannot import, as when their Python lacks a package
the parent has (tests/core/test_executors.py)."""

import multiprocessing

if multiprocessing.parent_process() is not None:
    raise ImportError("No module named 'a_package_only_the_parent_has'")


def job(n: int, _cancelled=None) -> int:
    return n
