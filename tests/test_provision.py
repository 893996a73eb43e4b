"""Interpreter provisioning (shootout/run/provision.py) and how the resolver finds what it provisioned.

Fast tests use fake build steps and a tiny shell-script "python" that execs this one; the slow test uses a
real free-threaded build when `nox -s interpreters -- 3.13t` (or `--fast 3.13t`) has made one.
"""

from __future__ import annotations

import ast
import fcntl
import json
import shutil
import sys
import threading
from pathlib import Path

import pytest

from shootout.run import interpreters, provision
from shootout.run.provision import AptConfig, ProvisionError, Spec, UsageError, parse_spec

HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"  # the fake builds are this interpreter in disguise
HERE_FULL = ".".join(map(str, sys.version_info[:3]))
REAL_UV_STEP = provision.uv_step  # before any test replaces it


def fake_prefix(prefix: Path, minor: str = HERE) -> Path:
    """An install prefix whose bin/pythonX.Y is a shell script exec'ing the interpreter running the tests."""
    bin_dir = prefix / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / f"python{minor}"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    return prefix


def fake_step(calls: list, fail: bool = False):
    """A build step that stages a fake prefix (and optionally fails half-way, like a broken make)."""

    def make(spec: Spec, optimized: bool = True):  # source_step(spec, optimized) or uv_step(spec)
        def step(target, stage, log, say):
            calls.append((spec, optimized))
            prefix = fake_prefix(stage / "root" / "prefix")
            (prefix / "lib").mkdir()
            if fail:
                raise ProvisionError("make failed (exit 2)", log)
            return prefix, {"method": "source", "executable": f"bin/python{spec.minor}",
                            "configure_flags": ["--prefix=x"], "seconds": {"make": 0.1}}

        return step

    return make


@pytest.fixture
def pythons(tmp_path) -> Path:
    return tmp_path / "pythons"


@pytest.fixture
def no_real_builds(monkeypatch):
    """Any attempt to reach uv or Debian in a fast test is a bug in the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a fast test tried a real uv install or source build")

    monkeypatch.setattr(provision, "uv_step", refuse)
    monkeypatch.setattr(provision, "source_step", refuse)
    monkeypatch.setattr(provision, "debian_offers", refuse)


def test_private_apt_config_never_touches_the_machines_apt(tmp_path):
    apt = AptConfig(tmp_path / ".apt", "http://mirror.example/debian")
    apt.write()
    conf = apt.conf.read_text()
    assert "/etc/apt" not in conf and "/var/lib/apt" not in conf and "/var/cache/apt" not in conf
    dirs = dict(line.rstrip(";").split(" ", 1) for line in conf.splitlines() if line.startswith("Dir::"))
    assert set(dirs) == {"Dir::Etc::sourcelist", "Dir::Etc::sourceparts", "Dir::Etc::preferences",
                         "Dir::Etc::preferencesparts", "Dir::State::Lists", "Dir::Cache"}
    assert all(value.strip('"').startswith(str(apt.root)) for value in dirs.values())
    assert list((apt.root / "sources.list.d").iterdir()) == []  # no source but ours
    for hook in ("Pre-Invoke", "Post-Invoke", "Post-Invoke-Success"):  # the machine's update hooks stay quiet
        assert f"#clear APT::Update::{hook};" in conf
    assert (apt.root / "sources.list").read_text() == (
        "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        "http://mirror.example/debian trixie main\n"
        "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        "http://mirror.example/debian sid main\n"
    )
    assert apt.cmd("apt-get", "update") == ["apt-get", "-c", str(apt.conf), "update"]


def test_mirror_is_read_from_the_machines_sources():
    deb822 = (
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nEnabled: no\nURIs: http://off.example/debian\nSuites: bookworm\n\n"
        "Types: deb\n# a comment\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\n"
        "Components: main\n"
    )
    one_line = "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n" \
               "deb [arch=amd64] http://ftp.example/debian bookworm main\n"
    assert provision.mirror_from_sources([deb822]) == "http://mirror.example/debian"
    assert provision.mirror_from_sources([one_line]) == "http://ftp.example/debian"
    assert provision.mirror_from_sources(["deb http://x.example/ubuntu-ish focal main\n"]) is None


@pytest.mark.parametrize(("text", "spec"), [
    ("3.13", Spec("3.13", False)),
    ("3.13t", Spec("3.13", True)),
    ("3.13.5t", Spec("3.13.5", True)),
    ("cpython3.13t", Spec("3.13", True)),
    ("python3.13t", Spec("3.13", True)),
    ("cpython-3.14", Spec("3.14", False)),
])
def test_parse_spec(text, spec):
    assert parse_spec(text) == spec


@pytest.mark.parametrize("text", ["abc", "3", "pypy3.9", "3.12t", "3.13x", "4.1"])
def test_parse_spec_rejects(text):
    with pytest.raises(UsageError):
        parse_spec(text)


def test_names_say_what_was_built():
    assert parse_spec("3.13t").dir_name(optimized=True) == "cpython3.13t"
    assert parse_spec("3.13.5").dir_name(optimized=False) == "cpython3.13-fast"
    assert parse_spec("3.13t").dir_name(optimized=False) == "cpython3.13t-fast"
    assert Spec("3.13").accepts("3.13.5") and not Spec("3.13").accepts("3.130.1")
    assert not Spec("3.13.4").accepts("3.13.5")


def test_security_patches_are_the_cve_entries_in_series_order():
    series = "#git-updates.diff\ndeb-locations.diff\nCVE-2025-6069.patch\nssl-sni-crash.patch\n" \
             "# CVE-2020-0000.patch is commented out\nCVE-2026-0864.patch  # trailing comment\n"
    assert provision.security_patches(series) == ["CVE-2025-6069.patch", "CVE-2026-0864.patch"]


def test_what_debian_and_uv_offer():
    index = "Package: python3.12\nBinary: x\nVersion: 3.12.1-1\n\n" \
            "Package: python3.13\nVersion: 3.13.5-2+deb13u5\n" \
            "\nPackage: python3-defaults\nVersion: 3.13.5-1\n"
    offers = provision.parse_sources_index(index)
    assert offers == {"python3.12": "3.12.1-1", "python3.13": "3.13.5-2+deb13u5"}
    labels = provision.debian_labels(offers)
    assert sorted(labels) == ["3.12.1", "3.13.5", "3.13.5t"]  # no free-threaded build before 3.13
    assert provision.best_release(parse_spec("3.13t"), labels) == "3.13.5"
    assert provision.best_release(parse_spec("3.14"), labels) is None
    assert provision.best_release(parse_spec("3.13"), ["3.13.9", "3.13.10", "3.13.10t"]) == "3.13.10"


def test_dsc_checksums_and_tamper(tmp_path):
    orig, debian = tmp_path / "p_1.0.orig.tar.xz", tmp_path / "p_1.0-1.debian.tar.xz"
    orig.write_bytes(b"upstream")
    debian.write_bytes(b"debian")
    sums = {p.name: provision._sha256(p) for p in (orig, debian)}
    dsc = tmp_path / "p_1.0-1.dsc"
    dsc.write_text("Format: 3.0 (quilt)\nChecksums-Sha256:\n" + "".join(
        f" {sha} 10 {name}\n" for name, sha in sums.items()) + "Files:\n abc 1 x\n")
    files = provision.parse_dsc(dsc)
    record = provision.verify_checksums(files)
    assert (record["tarball"] == orig.name and record["sha256"] == sums[orig.name]
            and record["sha256_matches_dsc"])
    orig.write_bytes(b"tampered")
    with pytest.raises(ProvisionError, match="does not match"):
        provision.verify_checksums(files)


def test_usage_errors_exit_2_in_one_line(capsys, monkeypatch, pythons, no_real_builds):
    monkeypatch.setattr(provision, "uv_offers", lambda: ["3.13.9", "3.13.9t", "3.14.1"])
    monkeypatch.setattr(provision, "debian_offers", lambda *a: {"python3.13": "3.13.5-2+deb13u5"})
    for argv, needle in (
        (["abc"], "'abc' is not a CPython version"),
        (["3.12t"], "free-threaded CPython exists from 3.13 on"),
        (["--fast", "--method", "uv", "3.13"], "--fast is a source-build profile"),
        (["--method", "conda", "3.13"], "--method 'conda'"),
        ([], "name at least one version"),
        (["3.13", "3.99"], ("unknown version '3.99': uv offers 3.13, 3.13t, 3.14; Debian trixie/sid's source "
                           "packages offer 3.13, 3.13t (3.13.5)")),
        (["--fast", "3.15"], "unknown version '3.15': Debian trixie/sid's source packages offer 3.13, 3.13t"),
    ):
        assert provision.main([*argv, "--pythons-dir", str(pythons)]) == 2, argv
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1, err
    assert not provision.available(pythons)  # "3.13" was not built before "3.99" was found unknown


def test_orchestrator_subcommand_hands_over_to_provisioning(capsys, pythons, no_real_builds):
    """`python -m shootout interpreters ...` (what `nox -s interpreters` runs) keeps provisioning's options
    and exit codes, --list included, which argparse would reject as an unknown option of a subcommand."""
    from shootout import cli

    fake_prefix(pythons / "cpython3.13t-fast")
    assert cli.main(["interpreters", "--list", "--pythons-dir", str(pythons)]) == 0
    # no manifest: incomplete, not listed
    assert capsys.readouterr().out.startswith("nothing provisioned in ")
    assert cli.main(["interpreters", "3.x", "--pythons-dir", str(pythons)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("provision: error: '3.x' is not a CPython version") and err.count("\n") == 1


def test_build_then_cache_hit_then_resolve(monkeypatch, pythons, no_real_builds):
    calls: list = []
    monkeypatch.setattr(provision, "source_step", fake_step(calls))
    said: list[str] = []
    build = provision.provision(HERE, pythons, optimized=False, method="source", say=said.append)
    assert build.name == f"cpython{HERE}-fast" and build.path == pythons / build.name
    record = json.loads((build.path / "provision.json").read_text())
    assert (record["version"] == HERE_FULL and record["method"] == "source"
            and record["free_threaded"] is False)
    assert (record["profile"].startswith("fast") and record["seconds"]["make"] == 0.1
            and "total" in record["seconds"])
    assert ((build.path / "build.log").exists()
            and set(record["modules_checked"]) >= {"ssl", "sqlite3", "ctypes"})
    assert [p.name for p in pythons.iterdir() if p.name.startswith(".stage")] == []

    again = provision.provision(HERE, pythons, optimized=False, method="auto", say=said.append)
    assert len(calls) == 1 and again.path == build.path
    assert "already provisioned" in said[-1] and "nothing to do" in said[-1]

    shell = interpreters.resolve(HERE, pythons_dir=pythons)  # a bare version: python3.X as the shell finds it
    # a shim that runs, or not
    assert shell.executable in (shutil.which(f"python{HERE}"), str(build.executable))
    for name in (f"cpython{HERE}", f"cpython{HERE}-fast"):
        interp = interpreters.resolve(name, pythons_dir=pythons)
        assert interp.available, interp.reason
        assert interp.executable == str(build.executable)
        assert interp.name == f"cpython{HERE}-fast"  # an unoptimised build is never mistaken for a timing one
        assert interp.info["provision"]["name"] == build.name and interp.info["free_threaded"] is False
        assert interp.info["gil_enabled"] in (None, True)
    by_path = interpreters.resolve(str(build.executable))  # how --resume names it
    assert by_path.name == f"cpython{HERE}-fast" and by_path.info["provision"]["method"] == "source"


def test_optimized_build_wins_and_main_says_nothing_to_do(monkeypatch, pythons, capsys, no_real_builds):
    calls: list = []
    monkeypatch.setattr(provision, "source_step", fake_step(calls))
    provision.provision(HERE, pythons, optimized=False, method="source", say=lambda m: None)
    optimized = provision.provision(HERE, pythons, optimized=True, method="source", say=lambda m: None)
    assert provision.find(HERE, pythons).name == optimized.name == f"cpython{HERE}"
    assert provision.find(f"cpython{HERE}-fast", pythons).name == f"cpython{HERE}-fast"
    assert interpreters.resolve(HERE, pythons_dir=pythons).name == f"cpython{HERE}"
    assert provision.main(["--method", "source", HERE, "--pythons-dir", str(pythons)]) == 0
    assert "nothing to do" in capsys.readouterr().out and len(calls) == 2


def test_failed_build_leaves_nothing_and_keeps_the_old_one(monkeypatch, pythons, capsys, no_real_builds):
    calls: list = []
    monkeypatch.setattr(provision, "source_step", fake_step(calls, fail=True))
    monkeypatch.setattr(provision, "check_offered", lambda *a: None)
    assert provision.main(["--fast", HERE, "--pythons-dir", str(pythons)]) == 1
    err = capsys.readouterr().err
    assert "make failed (exit 2); build log kept at" in err and err.count("\n") == 1
    log = Path(err.rsplit(" ", 1)[1].strip())
    assert log.exists() and log.parent == pythons / ".logs"
    assert provision.available(pythons) == [] and not (pythons / f"cpython{HERE}-fast").exists()
    assert [p.name for p in pythons.iterdir() if p.name.startswith((".stage", ".old"))] == []

    # an existing complete build survives a failed rebuild (here: a different method was asked for)
    monkeypatch.setattr(provision, "source_step", fake_step(calls))
    old = provision.provision(HERE, pythons, optimized=True, method="source", say=lambda m: None)
    monkeypatch.setattr(provision, "uv_step", fake_step(calls, fail=True))
    with pytest.raises(ProvisionError):
        provision.provision(HERE, pythons, optimized=True, method="uv", say=lambda m: None)
    assert provision.find(HERE, pythons).record == old.record


def test_uv_first_then_source_fallback(monkeypatch, pythons, tmp_path, no_real_builds):
    """auto: uv's install is used when it works; when it fails the source build runs and the record says
    why."""
    fake_uv = tmp_path / "uv"
    fake_uv.write_text(  # `uv python install X --install-dir D --no-bin` -> D/cpython-*/bin/pythonX.Y
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "uv 0.0.0-fake"; exit 0; fi\n'
        f'[ -n "$FAIL" ] && {{ echo "dns error" >&2; exit 2; }}\n'
        f'd="$5/cpython-{HERE_FULL}-linux-x86_64-gnu"; mkdir -p "$d/bin"\n'
        f'printf \'#!/bin/sh\\nexec "{sys.executable}" "$@"\\n\' > "$d/bin/python{HERE}"; '
        f'chmod +x "$d/bin/python{HERE}"\n'
        f'ln -s "$d" "$5/cpython-{HERE}-linux-x86_64-gnu"\n'
    )
    fake_uv.chmod(0o755)
    monkeypatch.setattr(provision, "find_uv", lambda: str(fake_uv))
    monkeypatch.setattr(provision, "uv_step", REAL_UV_STEP)
    build = provision.provision(HERE, pythons / "a", optimized=True, method="auto", say=lambda m: None)
    assert build.method == "uv" and build.name == f"cpython{HERE}" and build.optimized
    assert build.record["uv"]["installed_as"] == f"cpython-{HERE_FULL}-linux-x86_64-gnu"
    assert build.record["attempts"] == []

    monkeypatch.setenv("FAIL", "1")
    calls: list = []
    monkeypatch.setattr(provision, "source_step", fake_step(calls))
    build = provision.provision(HERE, pythons / "b", optimized=True, method="auto", say=lambda m: None)
    assert build.method == "source" and len(calls) == 1
    assert build.record["attempts"][0]["method"] == "uv" and "exit 2" in build.record["attempts"][0]["error"]


def _fake_uv_pypy(path: Path) -> Path:
    """A `uv` whose `python install pypy@3.11 --install-dir D --no-bin` makes D/pypy-3.11.*/bin/pypy3 (this
    interpreter in disguise), as uv does where downloads work; with $FAIL set it fails as uv does offline."""
    path.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "uv 0.0.0-fake"; exit 0; fi\n'
        '[ -n "$FAIL" ] && { echo "error: Failed to download https://example: dns error" >&2; exit 2; }\n'
        'd="$5/pypy-3.11.13-linux-x86_64-gnu"; mkdir -p "$d/bin"\n'
        f'printf \'#!/bin/sh\\nexec "{sys.executable}" "$@"\\n\' > "$d/bin/pypy3"; chmod +x "$d/bin/pypy3"\n'
        'echo "$@" >> "$5/../uv-calls.txt"\n'
    )
    path.chmod(0o755)
    return path


def test_pypy_from_uv_is_recorded_reused_and_refused_with_one_line_offline(monkeypatch, pythons, tmp_path):
    """Where uv can download, `interpreters -- pypy3.11` takes upstream's PyPy from it: a record saying so,
    the interpreter in place, and a second request served from the cache without calling uv; offline, one
    line that says uv could not download it and how to install it where downloads work."""
    monkeypatch.setattr(provision, "find_uv", lambda: str(_fake_uv_pypy(tmp_path / "uv")))
    build = provision.provision_by_uv("pypy@3.11", "pypy3.11", "pypy", pythons, say=lambda m: None)
    assert build.method == "uv" and build.name == "pypy3.11" and build.executable.exists()
    assert build.record["uv"] == {"version": "uv 0.0.0-fake", "request": "pypy@3.11",
                                  "installed_as": "pypy-3.11.13-linux-x86_64-gnu"}
    assert build.record["version"] == HERE_FULL  # what the interpreter itself says, not the folder's name
    assert not (pythons / ".pypy3.11.uv").exists()
    again = provision.provision_by_uv("pypy@3.11", "pypy3.11", "pypy", pythons, say=lambda m: None)
    assert again.record == build.record and len((pythons / "uv-calls.txt").read_text().splitlines()) == 1

    monkeypatch.setenv("FAIL", "1")
    with pytest.raises(ProvisionError) as failed:
        provision.provision_by_uv("pypy@3.10", "pypy3.10", "pypy", pythons, say=lambda m: None)
    message = str(failed.value)
    assert "\n" not in message and message.startswith("pypy@3.10: not offered offline here: uv could not "
                                                        "download it (")
    assert "`nox -s interpreters -- pypy3.10` installs it" in message
    assert not (pythons / "pypy3.10").exists() and not (pythons / ".pypy3.10.uv").exists()


def test_a_second_provisioning_waits_for_the_lock(monkeypatch, pythons, no_real_builds):
    calls: list = []
    monkeypatch.setattr(provision, "source_step", fake_step(calls))
    pythons.mkdir(parents=True)
    said: list[str] = []
    with (pythons / ".lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        worker = threading.Thread(
            target=provision.provision, args=(HERE, pythons, False, "source", said.append), daemon=True)
        worker.start()
        worker.join(1.0)
        assert worker.is_alive() and "waiting for another provisioning run" in said[0] and not calls
        fcntl.flock(held, fcntl.LOCK_UN)
    worker.join(60)
    assert not worker.is_alive() and len(calls) == 1 and provision.find(HERE, pythons) is not None


def test_available_ignores_incomplete_dirs(pythons):
    fake_prefix(pythons / ".stage-cpython3.13-123" / "x")
    fake_prefix(pythons / "cpython3.13")  # no provision.json: not ours / not finished
    (pythons / "cpython3.14").mkdir()
    (pythons / "cpython3.14" / "provision.json").write_text("{not json")
    assert provision.available(pythons) == [] and provision.find("3.13", pythons) is None


def test_free_threaded_column_name_and_probe_fields():
    info = {"implementation": "cpython", "version_info": [3, 13, 5], "version": "3.13.5",
            "free_threaded": True}
    assert interpreters._interpreter("3.13t", "/x/python3.13t", info, None).name == "cpython3.13t"
    info["free_threaded"] = False
    assert interpreters._interpreter("python3.13", "/x/python3.13", info, None).name == "cpython3.13"
    ast.parse(interpreters._PROBE, feature_version=(3, 9))  # still valid 3.9 syntax
    here = interpreters.probe(sys.executable)
    assert here["free_threaded"] is bool(getattr(sys, "_is_gil_enabled", None) and not sys._is_gil_enabled())
    assert interpreters.resolve(sys.executable).name == f"cpython{HERE}"  # existing names unchanged


@pytest.mark.slow
def test_real_free_threaded_build_resolves():
    build = provision.find("3.13t")
    if build is None:
        pytest.skip("no 3.13t under .nox/shootout/pythons: "
                    "run `nox -s interpreters -- 3.13t` (or --fast 3.13t)")
    interp = interpreters.resolve("3.13t")
    assert interp.available, interp.reason
    assert interp.executable == str(build.executable)
    assert interp.info["free_threaded"] is True and interp.info["gil_enabled"] is False
    assert interp.name == "cpython3.13t" + ("" if build.optimized else "-fast")
    assert interp.info["provision"]["name"] == build.name
    assert interpreters.resolve("cpython3.13t").executable == interp.executable
