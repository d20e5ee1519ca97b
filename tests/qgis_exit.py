"""Release, before QGIS exits, what QGIS 3.22's Python bindings leak from failed algorithms.

When a Python ``processAlgorithm`` raises ``QgsProcessingException``, the sip error handler of
``qgis._core`` (``%VirtualErrorHandler processing_exception_handler`` in core.sip.in) calls
``PyErr_Fetch`` and throws the message on as a C++ exception without releasing the fetched
exception, type and traceback. The leaked traceback holds the algorithm's frame, and through
``f_back`` every calling frame with its locals: a test that expects a failed ``processing.run``
keeps all its locals (layers, results, contexts) for the rest of the process.

A Python-owned layer kept so is destroyed by PyQt's clean-up in ``Py_FinalizeEx``, after
pytest-qgis has called ``exitQgis()``; an OGR layer then crashes in
``QgsOgrProviderUtils::release`` -> ``GDALDataset::GetMetadata`` (rc 139 after every test
passed). Clearing the leaked frames while QGIS runs frees those objects in time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from types import FrameType, TracebackType

from qgis.core import QgsMapLayer
from qgis.PyQt import sip

_GENERATOR_FLAGS = 0x20 | 0x80 | 0x200  # CO_GENERATOR, CO_COROUTINE, CO_ASYNC_GENERATOR


def leaked_errors() -> list[BaseException | TracebackType]:
    """Live exceptions and tracebacks that no object known to the garbage collector refers
    to: references that C code took and never gave back."""
    gc.collect()
    everything = gc.get_objects()
    kinds = (BaseException, TracebackType)  # by type(): isinstance asks proxies' __class__
    leaked = {id(obj): obj for obj in everything if issubclass(type(obj), kinds)}
    for obj in everything:
        for referent in gc.get_referents(obj):
            leaked.pop(id(referent), None)
    return list(leaked.values())


def _traceback_frames(tb: TracebackType | None) -> Iterator[FrameType]:
    """The frames a traceback holds: its own and, through ``f_back``, their callers."""
    if tb is not None:
        frame = tb.tb_frame.f_back
        while frame is not None:  # the callers, up to the test run's own frames
            yield frame
            frame = frame.f_back
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


def _frames(leaked: BaseException | TracebackType) -> Iterator[FrameType]:
    """The frames of a traceback, or of an exception, its causes and contexts."""
    if isinstance(leaked, TracebackType):
        yield from _traceback_frames(leaked)
        return
    pending, seen = [leaked], set()
    while pending:
        error = pending.pop()
        if error is not None and id(error) not in seen:
            seen.add(id(error))
            pending += [error.__cause__, error.__context__]
            yield from _traceback_frames(error.__traceback__)


def release_leaked_processing_frames() -> int:
    """Clear the finished frames that leaked exceptions and tracebacks hold; their count."""
    cleared = set()
    for leaked in leaked_errors():
        for frame in _frames(leaked):
            if id(frame) in cleared or frame.f_code.co_flags & _GENERATOR_FLAGS:
                continue
            try:
                frame.clear()
            except RuntimeError:  # still running (pytest's own session frames)
                continue
            cleared.add(id(frame))
    gc.collect()
    return len(cleared)


def python_owned_layers() -> list[QgsMapLayer]:
    """Layers that Python still owns: PyQt would delete them only after QGIS exits."""
    gc.collect()
    return [
        obj
        for obj in gc.get_objects()
        if issubclass(type(obj), QgsMapLayer) and not sip.isdeleted(obj) and sip.ispyowned(obj)
    ]
