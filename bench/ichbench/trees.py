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
    by the next run for the same commit. The tree shares this checkout's services/.venv (same Debian packages; the AppHost
    finds the venv next to its services/)."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    root = os.path.join(tempfile.gettempdir(), f"ichrisbirch-bench-before-{sha}")
    venv = os.path.join(REPO, "services", ".venv")
    link = os.path.join(root, "services", ".venv")
    built = [("artifacts", "ready", "publish", "AppHost", "release"), ("AppHost", "bin", "Debug", "net10.0")]  # run.sh's, or the JIT build
    if any(os.path.isfile(os.path.join(root, *d, "AppHost.dll")) for d in built):
        log(f"before: reusing {root}")
        if os.path.islink(link) and os.readlink(link) != venv:  # made by another checkout, maybe gone since
            os.remove(link)
            os.symlink(venv, link)
        return root
    blob = subprocess.run(["git", "archive", sha], cwd=REPO, capture_output=True, check=True).stdout
    tarfile.open(fileobj=io.BytesIO(blob)).extractall(root)
    if os.path.isdir(venv):
        os.symlink(venv, link)
    log(f"before: building {sha}'s AppHost in {root}")
    # As that commit's scripts/run.sh builds it: ahead of time where it has scripts/build-apphost.sh, else the JIT build.
    own = os.path.isfile(os.path.join(root, "scripts", "build-apphost.sh"))
    command = ["bash", "scripts/build-apphost.sh"] if own else ["dotnet", "build", "AppHost", "--nologo", "-v", "q"]
    build = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if build.returncode != 0:
        raise RuntimeError(f"building {sha}'s AppHost failed: {(build.stdout + build.stderr)[-600:]}")
    return root


def describe(rev: str) -> str:
    return subprocess.run(["git", "log", "-1", "--format=%h %s", rev], cwd=REPO, capture_output=True, text=True).stdout.strip()
