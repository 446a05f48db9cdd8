"""Citable releases of the public graphs: dated (or semver) snapshots written to a releases
folder (``var/releases/`` by default), each with

- one gzipped N-Quads dump per public graph (``graphs/{name}.nq.gz``: lines sorted and gzip
  headers without a time, so the same content always gives the same bytes), and ``SHA256SUMS``;
- ``release.ttl``: a DCAT description (the version IRI ``{base}release/{version}`` as a
  ``dcat:Dataset``, its previous version, one ``dcat:Distribution`` per dump with its SPDX
  SHA-256 checksum);
- ``CHANGELOG.md`` and ``changes.json``: the things (``{base}id/…`` IRIs) added, removed and
  changed since the previous release (a thing changed when any quad about it or its ``#`` parts
  did);
- ``release.json``: the manifest the web app and ``load_release`` read.

A release is written to a temporary folder and renamed into place, so a crash never leaves half
a release, and an existing version is never overwritten."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, XSD

from cckg import __version__
from cckg.core.store import EmbeddedStore, Store

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
SPDX = "http://spdx.org/rdf/terms#"
# DCAT 3 terms (rdflib's DCAT namespace is DCAT 2 and warns about them)
DCAT_VERSION, DCAT_IS_VERSION_OF, DCAT_HAS_VERSION, DCAT_PREVIOUS = (
    URIRef(f"http://www.w3.org/ns/dcat#{t}")
    for t in ("version", "isVersionOf", "hasVersion", "previousVersion")
)
TITLE = "Connective Cities Knowledge Graph"
MANIFEST = "release.json"


class ReleaseError(ValueError):
    """A release cannot be made or read (bad version, existing release, unreadable files)."""


@dataclass
class ReleaseFile:
    name: str  # path inside the release folder
    graph: str  # the graph it holds
    sha256: str
    bytes: int
    quads: int


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


@dataclass
class Release:
    version: str
    iri: str
    issued: str  # ISO date
    base_iri: str
    previous: str | None  # the previous release's version
    files: list[ReleaseFile]
    quads: int
    things: int
    changes: Changes
    generator: str = f"cckg {__version__}"

    def manifest(self) -> dict[str, Any]:
        data = asdict(self)
        data["changes"] = {k: len(v) for k, v in asdict(self.changes).items()}
        return data


def check_version(version: str) -> str:
    """A release version: a date ``YYYY-MM-DD`` (a real one) or semver ``1.2.3``."""
    if DATE.match(version):
        try:
            dt.date.fromisoformat(version)
        except ValueError:
            raise ReleaseError(f"version {version!r} is not a real date") from None
        return version
    if SEMVER.match(version):
        return version
    raise ReleaseError(f"version {version!r}: use a date (YYYY-MM-DD) or semver (1.2.3)")


def release_iri(base: str, version: str) -> str:
    return f"{base}release/{version}"


def graph_file(graph: str, base: str) -> str:
    prefix = f"{base}graph/"
    name = (
        graph[len(prefix) :]
        if graph.startswith(prefix)
        else hashlib.sha256(graph.encode()).hexdigest()[:16]
    )
    return "graphs/" + re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") + ".nq.gz"


def graph_nquads(store: Store, graph: URIRef) -> list[bytes]:
    """The sorted N-Quads lines of one graph, each naming the graph."""
    name = ox.NamedNode(str(graph))
    quads = []
    for q in ox.parse(store.export_nquads([graph]), format=ox.RdfFormat.N_QUADS):
        quads.append(ox.Quad(q.subject, q.predicate, q.object, name))
    text = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    return sorted(line for line in text.splitlines() if line.strip())


_SUBJECT = re.compile(rb"^<([^>]*)>")


def thing_hashes(lines: Iterable[bytes], base: str) -> dict[str, str]:
    """Thing IRI -> a hash of every N-Quads line about it (or its ``#`` parts)."""
    prefix = f"{base}id/".encode()
    per: dict[str, list[bytes]] = {}
    for line in lines:
        m = _SUBJECT.match(line)
        if m and m.group(1).startswith(prefix):
            per.setdefault(m.group(1).split(b"#", 1)[0].decode(), []).append(line)
    return {t: hashlib.sha256(b"\n".join(sorted(ls))).hexdigest() for t, ls in per.items()}


def diff(old: dict[str, str], new: dict[str, str]) -> Changes:
    return Changes(
        added=sorted(set(new) - set(old)),
        removed=sorted(set(old) - set(new)),
        changed=sorted(t for t in set(old) & set(new) if old[t] != new[t]),
    )


# ---------------------------------------------------------------- reading releases


def list_releases(folder: Path) -> list[dict[str, Any]]:
    """The manifests of the releases in ``folder``, oldest first (by issue date, then the
    order they were made in)."""
    out: list[dict[str, Any]] = []
    if not folder.is_dir():
        return out
    for manifest in folder.glob(f"*/{MANIFEST}"):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("version") == manifest.parent.name:
            out.append(data)
    return sorted(out, key=lambda d: (d.get("issued", ""), d.get("made", ""), d["version"]))


def latest_release(folder: Path) -> dict[str, Any] | None:
    releases = list_releases(folder)
    return releases[-1] if releases else None


def release_folder(folder: Path, version: str) -> Path:
    """The folder of an existing release; raises ReleaseError for a bad or unknown version."""
    check_version(version)
    path = folder / version
    if not (path / MANIFEST).is_file():
        raise ReleaseError(f"no release {version!r} in {folder}")
    return path


def release_lines(folder: Path, version: str) -> list[bytes]:
    """Every N-Quads line of a release, checked against its checksums."""
    path = release_folder(folder, version)
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    lines: list[bytes] = []
    for f in manifest["files"]:
        data = (path / f["name"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != f["sha256"]:
            raise ReleaseError(f"{f['name']} of release {version} does not match its checksum")
        lines += [line for line in gzip.decompress(data).splitlines() if line.strip()]
    return lines


def load_release(folder: Path, version: str, base: str) -> EmbeddedStore:
    """A release's dumps in a new in-memory store (to run pinned queries on), each graph
    written through the Store interface."""
    per_graph: dict[str, list[ox.Triple]] = {}
    data = b"\n".join(release_lines(folder, version)) + b"\n"
    for q in ox.parse(data, format=ox.RdfFormat.N_QUADS):
        if isinstance(q.graph_name, ox.NamedNode):
            per_graph.setdefault(q.graph_name.value, []).append(q.triple)
    store = EmbeddedStore(None, base)
    store.replace_graphs(
        {
            URIRef(g): [ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""]
            for g, triples in per_graph.items()
        }
    )
    return store


# ---------------------------------------------------------------- making a release


def make_release(
    store: Store, folder: Path, version: str | None = None, today: dt.date | None = None
) -> Release:
    """Write a release of the store's public graphs into ``folder/{version}``.

    ``version`` defaults to today's date (UTC). Raises ReleaseError when the version is
    malformed or already released."""
    issued = (today or dt.datetime.now(dt.UTC).date()).isoformat()
    version = check_version(version or issued)
    base = store.base_iri
    target = folder / version
    if target.exists():
        raise ReleaseError(f"release {version} exists already ({target}); choose another --version")
    previous = latest_release(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".{version}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "graphs").mkdir(parents=True)
    try:
        files, lines = _write_dumps(store, staging, base)
        new = thing_hashes(lines, base)
        old: dict[str, str] = {}
        if previous is not None:
            old = thing_hashes(release_lines(folder, previous["version"]), base)
        release = Release(
            version, release_iri(base, version), issued, base,
            previous["version"] if previous else None, files, len(lines), len(new),
            diff(old, new),
        )  # fmt: skip
        _write_description(release, staging)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return release


def _write_dumps(store: Store, staging: Path, base: str) -> tuple[list[ReleaseFile], list[bytes]]:
    files: list[ReleaseFile] = []
    every: list[bytes] = []
    for graph in sorted(store.public_graphs(), key=str):
        lines = graph_nquads(store, graph)
        if not lines:
            continue
        name = graph_file(str(graph), base)
        data = gzip.compress(b"\n".join(lines) + b"\n", compresslevel=9, mtime=0)
        (staging / name).write_bytes(data)
        files.append(
            ReleaseFile(name, str(graph), hashlib.sha256(data).hexdigest(), len(data), len(lines))
        )
        every += lines
    sums = "".join(f"{f.sha256}  {f.name}\n" for f in files)
    (staging / "SHA256SUMS").write_text(sums, encoding="utf-8")
    return files, every


def _write_description(release: Release, staging: Path) -> None:
    manifest = release.manifest()
    manifest["made"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    changes = asdict(release.changes)
    (staging / "changes.json").write_text(json.dumps(changes, indent=2) + "\n", encoding="utf-8")
    (staging / "CHANGELOG.md").write_text(changelog(release), encoding="utf-8")
    description = dcat_description(release).serialize(format="turtle")
    (staging / "release.ttl").write_text(description, encoding="utf-8")


def changelog(release: Release) -> str:
    c = release.changes
    since = f"since release {release.previous}" if release.previous else "(first release)"
    lines = [
        f"# {TITLE}, release {release.version}",
        "",
        f"Version IRI: <{release.iri}> · issued {release.issued} · {release.quads} quads in "
        f"{len(release.files)} graphs · {release.things} things",
        "",
        f"Changes {since}: {len(c.added)} added, {len(c.removed)} removed, "
        f"{len(c.changed)} changed.",
    ]
    for title, iris_ in (("Added", c.added), ("Removed", c.removed), ("Changed", c.changed)):
        if iris_:
            lines += ["", f"## {title}", "", *(f"- <{i}>" for i in iris_)]
    return "\n".join(lines) + "\n"


def dcat_description(release: Release) -> Graph:
    """The release as DCAT: the version, its predecessor and one distribution per dump."""
    g = Graph()
    g.bind("dcat", DCAT)
    g.bind("dcterms", DCTERMS)
    g.bind("spdx", SPDX)
    spdx = {name: URIRef(SPDX + name) for name in ("Checksum", "checksum", "algorithm",
            "checksumValue", "checksumAlgorithm_sha256")}  # fmt: skip
    ds = URIRef(release.iri)
    live = URIRef(f"{release.base_iri}dataset")
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal(f"{TITLE}, release {release.version}", lang="en")))
    g.add((ds, DCAT_VERSION, Literal(release.version)))
    g.add((ds, OWL.versionInfo, Literal(release.version)))
    g.add((ds, DCTERMS.issued, Literal(release.issued, datatype=XSD.date)))
    g.add((ds, DCTERMS.isVersionOf, live))
    g.add((ds, DCAT_IS_VERSION_OF, live))
    g.add((live, DCAT_HAS_VERSION, ds))
    if release.previous:
        prev = URIRef(release_iri(release.base_iri, release.previous))
        g.add((ds, DCAT_PREVIOUS, prev))
    c = release.changes
    text = (
        f"Public graphs of the {TITLE}: {release.quads} quads; {len(c.added)} things added, "
        f"{len(c.removed)} removed and {len(c.changed)} changed since the previous release."
    )
    g.add((ds, DCTERMS.description, Literal(text, lang="en")))
    for f in release.files:
        dist = URIRef(f"{release.iri}/{f.name}")
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"Graph {f.graph} as gzipped N-Quads", lang="en")))
        g.add((dist, DCAT.downloadURL, dist))
        g.add((dist, DCAT.byteSize, Literal(f.bytes, datatype=XSD.nonNegativeInteger)))
        g.add(
            (
                dist,
                DCAT.mediaType,
                URIRef("https://www.iana.org/assignments/media-types/application/n-quads"),
            )
        )
        g.add(
            (
                dist,
                DCAT.compressFormat,
                URIRef("https://www.iana.org/assignments/media-types/application/gzip"),
            )
        )
        g.add((dist, DCTERMS.source, URIRef(f.graph)))
        checksum = BNode()
        g.add((dist, spdx["checksum"], checksum))
        g.add((checksum, RDF.type, spdx["Checksum"]))
        g.add((checksum, spdx["algorithm"], spdx["checksumAlgorithm_sha256"]))
        g.add((checksum, spdx["checksumValue"], Literal(f.sha256, datatype=XSD.hexBinary)))
    return g
