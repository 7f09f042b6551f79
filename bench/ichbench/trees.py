"""``--before REV``: an older commit of this repository, extracted and built next to the working tree, so that
before and after are measured in the same session, alternated, on the same machine load."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile

from ichbench.probes import log
from ichbench.runners import REPO


def prepare(rev: str, work: str) -> str:
    """Extracts ``rev`` (git archive) and builds its AppHost; returns the tree's root, kept in the temp folder and reused
    by the next run for the same commit. The tree has a venv of its own (``--system-site-packages``: the same Debian
    packages), so each tree's AppHost keeps its own requirements stamp: with a shared venv the two trees' stamps
    overwrote each other and the pip installer step ran before the api at every alternation (about 1 s on the api's
    gate in the runs where it ran)."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    root = os.path.join(tempfile.gettempdir(), f"ichrisbirch-bench-before-{sha}")
    built = [("artifacts", "ready", "publish", "AppHost", "release"), ("AppHost", "bin", "Debug", "net10.0")]  # run.sh's, or the JIT build
    if any(os.path.isfile(os.path.join(root, *d, "AppHost.dll")) for d in built):
        log(f"before: reusing {root}")
        own_venv(root)
        return root
    blob = subprocess.run(["git", "archive", sha], cwd=REPO, capture_output=True, check=True).stdout
    tarfile.open(fileobj=io.BytesIO(blob)).extractall(root)
    own_venv(root)
    log(f"before: building {sha}'s AppHost in {root}")
    # As that commit's scripts/run.sh builds it: ahead of time where it has scripts/build-apphost.sh, else the JIT build.
    own = os.path.isfile(os.path.join(root, "scripts", "build-apphost.sh"))
    command = ["bash", "scripts/build-apphost.sh"] if own else ["dotnet", "build", "AppHost", "--nologo", "-v", "q"]
    build = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if build.returncode != 0:
        raise RuntimeError(f"building {sha}'s AppHost failed: {(build.stdout + build.stderr)[-600:]}")
    return root


def own_venv(root: str) -> None:
    """services/.venv of the tree: its own, made from Debian's python3 with the system's packages (an older tree's
    symlink to this checkout's venv is replaced)."""
    venv = os.path.join(root, "services", ".venv")
    if os.path.islink(venv):
        os.remove(venv)
    if not os.path.isdir(venv):
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", venv], check=True)


def describe(rev: str) -> str:
    return subprocess.run(["git", "log", "-1", "--format=%h %s", rev], cwd=REPO, capture_output=True, text=True).stdout.strip()
