"""Interpreters from a Debian root file system: requests, the sandbox's command line, launchers, requirements,
and how the report names such a column. Slow tier: a real suite (trixie's PyPy 3.10) provisioned and
compared."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, WORK_DIR, only_archive, run_shootout

from report.columns import columns
from shootout.results.versions import toolchain_of
from shootout.run import provision, rootfs
from shootout.run.environments import requirements_for
from shootout.run.interpreters import TargetInterpreter


def test_every_pypy_comes_from_a_suite_and_cpython_only_when_asked():
    assert provision.rootfs_request("pypy3.11", "auto", True) == rootfs.Request("pypy", "3.11")
    assert provision.rootfs_request("pypy3.11-sid", "auto", True) == rootfs.Request("pypy", "3.11", "sid")
    assert rootfs.Request("pypy", "3.11").name == "pypy3.11-trixie"  # the suite is part of the column's name
    assert provision.rootfs_request("3.14-sid", "auto", True) == rootfs.Request("cpython", "3.14", "sid")
    assert provision.rootfs_request("3.14", "auto", True) is None  # uv, then the source build
    assert provision.rootfs_request("3.14", "debian", True) == rootfs.Request("cpython", "3.14")
    assert (rootfs.Request("pypy", "3.11").suite == "trixie"
            and rootfs.Request("cpython", "3.14").suite == "sid")
    assert (rootfs.Request("pypy", "3.10").suite is None
            and rootfs.Request("cpython", "3.14", "trixie").suite is None)
    for text, method, optimized in [("3.14t", "debian", True), ("3.14", "debian", False),
                                    ("3.14.1", "debian", True), ("pypy3.11", "source", True)]:
        with pytest.raises(provision.UsageError):
            provision.rootfs_request(text, method, optimized)


def test_a_suite_installs_every_interpreter_it_offers_and_a_compiler():
    packages = rootfs.suite_packages("sid")
    assert {"pypy3", "pypy3-dev", "pypy3-venv", "python3.14-venv", "build-essential"} <= set(packages)


def test_the_sandbox_binds_the_hosts_data_at_the_same_paths_and_its_config_read_only(tmp_path):
    cmd = rootfs.sandbox_command(tmp_path, "/usr/bin/pypy3", ("/elsewhere/project",))
    pairs = {(cmd[i], cmd[i + 1], cmd[i + 2]) for i in range(len(cmd) - 2)}
    assert ("--bind", str(tmp_path), "/") in pairs and cmd[-1] == "/usr/bin/pypy3"
    for path in ("/tmp", "/work", "/elsewhere/project"):
        assert ("--bind-try", path, path) in pairs
    assert ("--ro-bind-try", "/etc/ssl/certs", "/etc/ssl/certs") in pairs  # the machine's trust store
    assert "--unshare-net" not in cmd and "--unshare-pid" not in cmd  # pinning and pressure stay the host's


def test_a_launcher_says_which_root_it_runs_in_and_keeps_its_extra_binds(tmp_path):
    launcher = tmp_path / "bin" / "pypy3"
    rootfs.write_launcher(launcher, tmp_path / "root dir", "/usr/bin/pypy3", ("/elsewhere",))
    assert rootfs.launcher_root(launcher) == tmp_path / "root dir"
    assert rootfs._extra_dirs(launcher) == ("/elsewhere",)
    assert rootfs.launcher_root(sys.executable) is None


def test_tools_missing_is_one_line_with_the_install_command(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    assert rootfs.missing_tools() == ("debootstrap and bwrap not installed: "
                                      "apt-get install debootstrap bubblewrap")
    with pytest.raises(rootfs.RootfsError, match="apt-get install debootstrap bubblewrap"):
        rootfs.ensure_suite("sid", WORK_DIR / "no-such-rootfs-dir", rootfs.DEFAULT_MIRROR, WORK_DIR / "x.log",
                            print)


def test_a_language_level_has_its_own_pins_where_its_wheels_differ():
    def pins(implementation, version, free=False):
        interp = TargetInterpreter("x", "x", implementation=implementation, version=version,
                             info={"free_threaded": free})
        return requirements_for(interp).name
    assert pins("pypy", "3.9.16") == "pypy.txt" and pins("pypy", "3.10.16") == "pypy3.10.txt"
    assert pins("pypy", "3.11.17") == "pypy3.11.txt" and pins("cpython", "3.14.10") == "cpython3.14.txt"
    assert (pins("cpython", "3.11.7") == "cpython.txt"
            and pins("cpython", "3.14.0", True) == "cpython-freethreaded.txt")


def test_columns_built_with_different_toolchains_say_which_is_whose():
    host = {"build_compiler": "gcc (Debian 12.2.0-14+deb12u1) 12.2.0", "libc": "glibc 2.36"}
    sid = {"build_compiler": "x86_64-linux-gnu-gcc (Debian 16.2.0-4) 16.2.0", "libc": "glibc 2.43",
           "provision": {"method": "debian-rootfs", "suite": "sid", "compiler": "gcc 16", "glibc": "2.43-7",
                         "packages": {"python3.14": "3.14.10-1", "python3.14-dev": "3.14.10-1"},
                         "optimized": True, "seconds": {"total": 1.0}}}
    assert toolchain_of(sid) == "gcc 16.2.0, glibc 2.43"
    meta = {"interpreters": [{"name": "cpython3.11", "implementation": "cpython", "version": "3.11.7",
                              "info": host},
                             {"name": "cpython3.14", "implementation": "cpython", "version": "3.14.10",
                              "info": sid}]}
    found = columns(meta, [])
    assert found["cpython3.11"].label == "cpython3.11 (gcc 12.2.0, glibc 2.36)"
    assert found["cpython3.14"].label == "cpython3.14 (gcc 16.2.0, glibc 2.43)"
    assert ("python3.14 3.14.10-1" in found["cpython3.14"].build.source
            and found["cpython3.14"].build.profile == "Debian's own build")
    same = columns({"interpreters": [dict(e, info=host) for e in meta["interpreters"]]}, [])
    assert same["cpython3.14"].label == "cpython3.14"  # one toolchain: nothing to say


@pytest.mark.slow
def test_pypy_3_11_from_debian_trixie_builds_and_verifies_beside_the_hosts_cpython(tmp_path):
    """The real thing: trixie installed with debootstrap (cached under the work dir), its PyPy in
    bubblewrap."""
    problem = rootfs.missing_tools()
    if problem:
        pytest.fail(f"{problem} (see README: the set-up line installs them)")
    pythons = WORK_DIR / "pythons"
    done = subprocess.run([sys.executable, "-m", "shootout.run.provision", "pypy3.11", "--pythons-dir",
                           str(pythons)], capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    record = json.loads((pythons / "pypy3.11-trixie" / "provision.json").read_text())
    assert record["method"] == "debian-rootfs" and record["suite"] == "trixie"
    assert record["packages"]["pypy3"] and record["compiler"].startswith("gcc")
    results = tmp_path / "results"
    proc = run_shootout("compare", "--quick", "--variant", "pure_python,cffi_c", "--interpreter",
                        f"{sys.executable},{pythons / 'pypy3.11-trixie' / 'bin' / 'pypy3'}", "-o",
                        str(results), "--work-dir", str(WORK_DIR))
    assert proc.returncode == 0, proc.stderr[-4000:]
    meta = json.loads((only_archive(results) / "metadata.json").read_text())
    [pypy] = [i for i in meta["interpreters"] if i["name"] == "pypy3.11-trixie"]
    assert pypy["info"]["provision"]["suite"] == "trixie" and pypy["info"]["libc"] != "glibc 2.36"
    assert "pypy3.11-trixie (gcc 14" in (only_archive(results) / "report.html").read_text()
    # the suite's setuptools 59 wrote the cffi kernel's object file beside its source once; builds leave none
    assert not list((ROOT / "cffi_ext").glob("*.o"))


def test_a_bare_version_is_what_python3_x_finds_in_the_users_shell(monkeypatch):
    """A pyenv shim named python3.11 on PATH is found for --interpreter 3.11, as `python3.11` would be."""
    from shootout.run import interpreters

    asked = []
    monkeypatch.setattr(interpreters.shutil, "which", lambda name: asked.append(name) or sys.executable)
    assert interpreters._locate("3.11") == sys.executable and asked == ["python3.11"]
    assert interpreters._locate("3.13t") == sys.executable and asked[-1] == "python3.13t"


def test_graalpy_is_uvs_alone_and_pypy_tries_uv_first():
    assert provision.rootfs_request("graalpy", "auto", True).uv_label == "graalpy"
    assert provision.rootfs_request("graalpy3.12", "auto", True).uv_label == "graalpy@3.12"
    assert rootfs.Request("pypy", "3.11").uv_label == "pypy@3.11"


def test_suite_takes_every_named_column_from_that_suite(monkeypatch):
    from argparse import Namespace

    from shootout.run import options

    asked = []
    monkeypatch.setattr(options, "discover", lambda names: asked.append(names) or [])
    options.interpreters_of(Namespace(interpreter=["pypy3.11,3.14", "/usr/bin/python3"], suite="sid"))
    assert asked == [["pypy3.11-sid", "3.14-sid", "/usr/bin/python3"]]  # a path is that path
    for bad in (Namespace(interpreter=None, suite="sid"), Namespace(interpreter=["3.14"], suite="bookworm")):
        with pytest.raises(options.UsageError):
            options.interpreters_of(bad)


def test_reproduce_names_each_debian_package_that_moved_on():
    from shootout.run import reproduce

    assert (rootfs.suite_of_column("pypy3.11-sid") == "sid"
            and rootfs.suite_of_column("cpython3.13t-fast") is None)
    archived = {"info": {"provision": {"packages": {"pypy3": "8.0.1+dfsg-1", "gcc": "4:16.1.0-3"}}}}
    found = TargetInterpreter("pypy3.11-sid", "pypy3.11-sid", info={"provision": {"packages": {
        "pypy3": "8.0.2-1", "gcc": "4:16.1.0-3"}}})
    assert reproduce.package_changes(archived, found) == ["pypy3 8.0.1+dfsg-1 then, 8.0.2-1 now"]


def test_diff_lists_a_changed_suite_package_or_toolchain_under_what_differs():
    from shootout.results import diff

    def entry(pypy3_version):
        return {"name": "pypy3.11-sid", "implementation": "pypy", "version": "3.11.17", "info": {
            "build_compiler": "gcc (Debian 16.2.0-4) 16.2.0", "libc": "glibc 2.43",
            "provision": {"suite": "sid", "packages": {"pypy3": pypy3_version, "gcc": "4:16.1.0-3"}}}}
    then, now = diff._interpreter_facts(entry("8.0.1+dfsg-1")), diff._interpreter_facts(entry("8.0.2-1"))
    assert (then["Debian suite pypy3.11-sid"] == "sid"
            and then["toolchain pypy3.11-sid"].endswith("glibc 2.43"))
    assert {k for k in then if then[k] != now[k]} == {"Debian package pypy3.11-sid: pypy3"}


def test_an_env_made_at_another_path_is_made_again(tmp_path):
    """Its scripts' #! lines name the path it was made at: reached through a symlink or a moved checkout, its
    pythran or cython would not start."""
    from shootout.run import environments

    interp = TargetInterpreter("cpython3.11", "current", executable=sys.executable, implementation="cpython",
                         version="3.11.7")
    requirements = environments.requirements_for(interp)
    here = environments._fingerprint(interp, requirements, tmp_path / "envs" / "cpython3.11")
    there = environments._fingerprint(interp, requirements, tmp_path / "link" / "envs" / "cpython3.11")
    assert here != there and here["path"].endswith("envs/cpython3.11")
