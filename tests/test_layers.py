"""The package's layers, read from every module's imports (also those inside functions):
gui and processing -> adapter -> core; core stays plain Python, free of QGIS and Qt; no two
modules import each other, directly or round a longer cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "calfin_qgis"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

QT = ("qgis", "PyQt5", "PyQt6", "sip")
"""Top-level modules of QGIS and Qt (``qgis.PyQt`` is under ``qgis``)."""

FORBIDDEN = {
    "core": (*QT, *(f"{PACKAGE}.{name}" for name in ("adapter", "processing", "gui", "plugin"))),
    "adapter": (f"{PACKAGE}.processing", f"{PACKAGE}.gui", f"{PACKAGE}.plugin"),
    "processing": (f"{PACKAGE}.gui", f"{PACKAGE}.plugin"),
    "gui": (f"{PACKAGE}.processing", f"{PACKAGE}.plugin"),
}
"""Per layer (the sub-package under calfin_qgis), the module prefixes it may not import."""
CORE_ALLOWED = (f"{PACKAGE}.core",)
"""Of the package itself core imports only core (not ``deps``, ``plugin``, ...)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = ROOT.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in ``path``, relative ones made absolute; ``from x
    import y`` names the module ``x.y`` when y is a module, else ``x``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *filter(None, [node.module])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((node.lineno, full if is_module(full) else base))
    return found


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(f"{prefix}.")


def layer_violations() -> list[str]:
    problems = []
    for name, path in modules().items():
        layer = name.split(".")[1] if name.count(".") else ""
        for line, target in imported(path):
            bad = any(under(target, prefix) for prefix in FORBIDDEN.get(layer, ()))
            if layer == "core" and under(target, PACKAGE):
                bad |= not any(under(target, prefix) for prefix in CORE_ALLOWED)
            if bad:
                problems.append(f"{path.relative_to(ROOT.parent)}:{line} imports {target}")
    return problems


def cycles() -> list[str]:
    """Each import cycle between the package's modules once, as 'a -> b -> a'."""
    known = modules()
    graph = {
        name: sorted({target for _, target in imported(path) if target in known} - {name})
        for name, path in known.items()
    }
    # A package imports its own modules to run them; that is no cycle of design.
    graph = {name: [t for t in targets if not under(t, name)] for name, targets in graph.items()}
    found, done = set(), set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            loop = trail[trail.index(name) :]
            start = loop.index(min(loop))
            found.add(" -> ".join([*loop[start:], *loop[:start], min(loop)]))
            return
        if name in done:
            return
        for target in graph.get(name, []):
            visit(target, [*trail, name])
        done.add(name)

    for name in graph:
        visit(name, [])
    return sorted(found)


def test_layers_import_only_downwards():
    problems = layer_violations()
    assert not problems, "imports that break the layers (gui, processing -> adapter -> core):\n" + (
        "\n".join(problems)
    )


def test_no_import_cycles():
    found = cycles()
    assert not found, "modules that import each other:\n" + "\n".join(found)


def test_the_check_sees_lazy_and_relative_imports(tmp_path, monkeypatch):
    """A module of core importing qgis inside a function, or ``deps`` through ``...``, is
    named with its line."""
    fake = tmp_path / PACKAGE
    (fake / "core" / "batch").mkdir(parents=True)
    for init in (fake, fake / "core", fake / "core" / "batch"):
        (init / "__init__.py").write_text("")
    (fake / "deps.py").write_text("")
    (fake / "core" / "batch" / "run.py").write_text(
        "def f():\n    from qgis.core import QgsProject\n    from ... import deps\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", fake)
    assert layer_violations() == [
        f"{PACKAGE}/core/batch/run.py:2 imports qgis.core",
        f"{PACKAGE}/core/batch/run.py:3 imports {PACKAGE}.deps",
    ]
