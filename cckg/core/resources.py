"""Where the files the app reads live: ``ontology/``, ``shapes/``, ``queries/``, ``data/`` and
``eval/``.

In a checkout they are the repository's own folders. An installed wheel carries them inside the
package, as ``cckg/_resources/{name}`` (``setup.py`` maps the folders there), found through
``importlib.resources`` so an installed ``cckg`` works from any directory.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

NAMES = ("ontology", "shapes", "queries", "data", "eval")
CHECKOUT = Path(__file__).resolve().parent.parent.parent


@cache
def resource_dir(name: str) -> Path:
    """The folder ``name`` (one of :data:`NAMES`): the packaged copy when the package has one,
    else the checkout's. Wheels install unpacked, so the packaged copy is a real directory."""
    if name not in NAMES:
        raise ValueError(f"unknown resource folder {name!r}; expected one of {', '.join(NAMES)}")
    packaged = files("cckg").joinpath("_resources", name)
    if packaged.is_dir():
        return Path(str(packaged))
    return CHECKOUT / name


def display_path(path: Path) -> str:
    """A source file's path as provenance names it: relative to the folder that holds the
    resource folders (``data/solutions.yaml``), else as given."""
    resolved = path.resolve()
    for name in NAMES:
        root = resource_dir(name).resolve()
        if resolved.is_relative_to(root):
            return f"{name}/{resolved.relative_to(root).as_posix()}"
    return str(path)
