"""Packaging beside pyproject.toml: one top-level import package, ``cckg``, and the folders the
app reads at run time (ontology, shapes, queries, curated data, labelled sets) carried inside it
as ``cckg/_resources/...`` (read through ``cckg.core.resources``)."""

from pathlib import Path

from setuptools import find_packages, setup

RESOURCES = ("ontology", "shapes", "queries", "data", "eval")


def folders(root: Path) -> list[Path]:
    return [root, *sorted(p for p in root.rglob("*") if p.is_dir() and p.name != "__pycache__")]


packages = find_packages(include=["cckg", "cckg.*"])
package_dir: dict[str, str] = {}
package_data: dict[str, list[str]] = {}
for name in RESOURCES:
    for folder in folders(Path(name)):
        package = ".".join(("cckg", "_resources", *folder.parts))
        packages.append(package)
        package_dir[package] = folder.as_posix()
        package_data[package] = ["*"]
# Data-only folders inside the package: the web app's templates and static files, the one
# message catalogue.
for root in (
    Path("cckg", "webapp", "templates"),
    Path("cckg", "webapp", "static"),
    Path("cckg", "translations"),
):
    for folder in folders(root):
        package = ".".join(folder.parts)
        packages.append(package)
        package_data[package] = ["*"]

setup(packages=packages, package_dir=package_dir, package_data=package_data)
