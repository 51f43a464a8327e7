"""Package boundaries: no package of src/relx imports another package's private modules.

The rule (docs/architecture.md, "Package boundaries"): a package ``relx.<pkg>`` keeps its
implementation in private ``_x.py`` modules and exposes what other stages may use in its
``__init__``'s ``__all__``. Code in ``relx.<a>`` may import ``relx.<b>`` (public names) and
relx-level modules (``relx.errors``, ``relx.labels``, ``relx.rundir``, ``relx._io``), and its
own ``relx.<a>._x`` modules, but never ``relx.<b>._x``. Tests are not checked: unit tests of
a package may reach into its private modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from _allow_list import allowed, unmatched_patterns

SRC = Path(__file__).resolve().parents[1] / "src"

#: Besides tests/_allow_list.py's files under rewrite: cli/diagnose.py needs STATUS_SYMBOL
#: exported from relx.diagnose's __init__, which cannot be added while relx/diagnose/* is
#: being rewritten.
EXTRA_ALLOWED: tuple[str, ...] = ()


def _package_of(path: Path) -> str | None:
    """``data`` for src/relx/data/_read.py; None for relx-level modules (relx/errors.py)."""
    parts = path.relative_to(SRC).parts
    return parts[1] if len(parts) > 2 else None


def _imported_modules(tree: ast.AST, path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) for every import in the file, relative imports resolved."""
    package = ".".join(path.relative_to(SRC).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from relx.data import _read`` imports a private module by name.
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names
                         if alias.name.startswith("_") and alias.name != "__version__")
    return found


def private_imports(path: Path) -> list[str]:
    """``file:line imports relx.<b>._x`` for each import of another package's private module."""
    own = _package_of(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = []
    for line, module in _imported_modules(tree, path):
        parts = module.split(".")
        if len(parts) < 3 or parts[0] != "relx" or parts[1].startswith("_"):
            continue  # not relx, or relx-level (relx._io, relx.errors)
        if parts[1] != own and any(p.startswith("_") for p in parts[2:]):
            bad.append(f"{path.relative_to(SRC)}:{line} imports {module}")
    return bad


def _source_files() -> list[Path]:
    return sorted((SRC / "relx").rglob("*.py"))


def test_no_package_imports_another_packages_private_modules() -> None:
    bad = [v for p in _source_files() if not allowed(p, EXTRA_ALLOWED)
           for v in private_imports(p)]
    assert not bad, "import the public names (relx.<pkg>), not relx.<pkg>._x:\n" + "\n".join(bad)


def test_allow_list_patterns_name_existing_files() -> None:
    # A pattern that matches nothing is a typo or a stale entry: it would hide nothing.
    assert not unmatched_patterns(_source_files(), EXTRA_ALLOWED)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from relx.data._read import read_corpus\n", True),
        ("import relx.data._read\n", True),
        ("from relx.data import _read\n", True),
        ("from relx.data import read_corpus\n", False),
        ("from relx._io import atomic_write_json\n", False),
        ("from relx.train._config import load_config\n", False),  # own package
        ("from ._config import load_config\n", False),
        ("from ..data._read import read_corpus\n", True),
    ],
)
def test_checker_tells_private_from_public_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, expected: bool
) -> None:
    module = tmp_path / "relx" / "train" / "_probe.py"
    module.parent.mkdir(parents=True)
    module.write_text(source, encoding="utf-8")
    monkeypatch.setitem(globals(), "SRC", tmp_path)
    assert bool(private_imports(module)) is expected
