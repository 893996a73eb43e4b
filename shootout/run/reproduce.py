"""`reproduce results/<run-id>`: run an archive again as it was recorded, then compare the two.

From the archive alone: the workloads, variants, parameter sets, thread counts, method and precision, seed,
timeouts; the interpreters, matched here by implementation and version (a missing one is one line naming it
and how to get it); the target-environment packages pinned exactly from the archive's locks. Before anything
runs, every variant source whose sha256 differs from the archive's (or that is gone) is listed. The new
archive's metadata says which archive it reproduces, and it holds the comparison with the original
(reproduction.json, the diff of original → reproduction), which its report opens with.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..results import archive, diff
from ..results.runspec import InterpreterSpec, Manifest, RunSpec
from . import catalog, provision, rootfs
from .compare import CompareOptions
from .console import say
from .interpreters import INSTALL_HINTS, TargetInterpreter, resolve
from .options import DEFAULT_TIMEOUT, recorded_options
from .usage import UsageError

REPRODUCTION = "reproduction.json"


@dataclass
class SourceChange:
    path: str
    archived: str | None
    now: str | None

    def line(self) -> str:
        if self.now is None:
            return f"{self.path}: missing in this checkout"
        if self.archived is None:
            return f"{self.path}: was missing when the archive ran"
        return f"{self.path}: changed (sha256 {self.archived[:12]}… then, {self.now[:12]}… now)"


def changed_sources(data: archive.Archive) -> list[SourceChange]:
    """Every variant source the archive names whose content is not what it was."""
    changes, seen = [], set()
    for contract in data.contracts.values():
        for sources in [contract.spec, *(v.sources for v in contract.variants)]:
            for path, archived in sorted(sources.items()):
                if path in seen:
                    continue
                seen.add(path)
                file = catalog.ROOT / path
                now = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else None
                if now != archived:
                    changes.append(SourceChange(path, archived, now))
    return changes


def _candidates(old: InterpreterSpec) -> list[str]:
    major_minor = ".".join(str(old.version or "").split(".")[:2])
    names = [old.executable] if old.executable else []
    if rootfs.suite_of_column(old.name):
        names.append(old.name)  # a Debian suite's build: that suite's, provisioned under its own name
    if old.implementation == "pypy":
        names += [f"pypy{major_minor}", "pypy3", "pypy"]
    else:
        threaded = "t" if old.name.endswith("t") else ""
        names += [f"python{major_minor}{threaded}", f"{major_minor}{threaded}", "current", "python3"]
    return [n for n in dict.fromkeys(names) if n]


def match_interpreter(old: InterpreterSpec) -> TargetInterpreter:
    """The interpreter here with the archived one's implementation and version (patch level preferred)."""
    fallback = None
    for name in _candidates(old):
        found = resolve(name)
        if not found.available or found.implementation != old.implementation:
            continue
        if found.version == old.version and found.name == old.name:
            return found
        if fallback is None and found.name == old.name:
            fallback = found
    if fallback is not None:
        say(f"reproduce: {old.name} was {old.version}, here {fallback.version} ({fallback.executable})")
        return fallback
    recreated = _from_suite(old)
    if recreated is not None:
        return recreated
    hint = INSTALL_HINTS.get(str(old.implementation), "")
    raise UsageError(f"reproduce: the archive ran on {old.implementation} {old.version} ({old.name}), "
                     f"which is not available here; install: {hint}")


def _from_suite(old: InterpreterSpec) -> TargetInterpreter | None:
    """A column from a Debian suite, provisioned again from that suite (None for any other column)."""
    suite = rootfs.suite_of_column(old.name)
    if suite is None or not old.implementation or not old.version:
        return None
    request = rootfs.Request(old.implementation, ".".join(old.version.split(".")[:2]), suite)
    say(f"reproduce: {old.name} came from Debian {suite}: provisioning it again")
    try:
        provision.provision_rootfs(request)
    except provision.ProvisionError as exc:
        raise UsageError(f"reproduce: {old.name}: {exc}") from None
    found = resolve(old.name)
    return found if found.available else None


def package_changes(archived: dict, found: TargetInterpreter) -> list[str]:
    """'pypy3 8.0.1+dfsg-1 then, 8.0.2-1 now' for every Debian package of a suite's column that is not the
    version the archive ran on (a suite moves on: the exact versions may be gone from its mirror)."""
    then = ((archived.get("info") or {}).get("provision") or {}).get("packages") or {}
    now = (found.info.get("provision") or {}).get("packages") or {}
    return [f"{package} {version} then, {now.get(package, 'absent')} now"
            for package, version in sorted(then.items()) if now.get(package) != version]


def reproduce_options(path: Path, results_dir: Path | None, work_dir: Path,
                      workloads_path: str | None) -> tuple[archive.Archive, CompareOptions]:
    """The archive at `path`, and the CompareOptions for running it again as it was recorded."""
    data = archive.read(path)
    spec = RunSpec.of(data)
    locks = {env: data.text(f"locks/{env}.txt") for env in spec.environments
             if f"locks/{env}.txt" in data.manifest["files"]}
    reproduces = {"run_id": Manifest.from_json(data.manifest).run_id, "path": str(path),
                  "manifest_sha256": archive.sha256_bytes((path / archive.MANIFEST).read_bytes())}
    interpreters = [match_interpreter(old) for old in spec.interpreters if old.available]
    archived = {str(i.get("name")): i for i in data.metadata.get("interpreters") or [] if isinstance(i, dict)}
    for found in interpreters:
        for change in package_changes(archived.get(found.name, {}), found):
            say(f"reproduce: {found.name}: Debian package {change}")
    return data, recorded_options(
        spec, workloads_path, results_dir=results_dir or path.parent, work_dir=work_dir,
        interpreters=interpreters,
        build_timeout=DEFAULT_TIMEOUT, command_line=["nox", "-s", "reproduce", "--", str(path)], locks=locks,
        extra_metadata={"reproduces": reproduces},
    )


def attach_comparison(original: archive.Archive, reproduction: Path, work_dir: Path,
                      render) -> diff.Comparison:
    """Add reproduction.json (original → reproduction) to the new archive and publish it again."""
    comparison = diff.compare(original, archive.read(reproduction))
    staging = work_dir / "runs" / f"{reproduction.name}-reproduction-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(reproduction, staging)
    (staging / REPRODUCTION).write_text(
        json.dumps(comparison.to_json(), indent=1, sort_keys=True, default=str))
    archive.publish(staging, reproduction, Manifest.of(staging).to_json(), render)
    shutil.rmtree(staging, ignore_errors=True)
    return comparison
