#!/usr/bin/env python3
"""sopdesk's two-command quick start.

    python3 dev.py up     # set up .venv, migrate, load the demo, run everything until Ctrl-C
    python3 dev.py test   # set up .venv with the test tools, lint, run the whole test suite

Needs only Python 3.11+ and pip. The virtualenv is created once in .venv and
re-synced whenever a requirements file changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("SOPDESK_VENV", ROOT / ".venv"))
PYTHON = VENV / "bin" / "python"


def _requirements_hash(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_venv(requirements: str) -> None:
    """Create .venv if needed and install `requirements` when it changed since last time.

    The stamp file records which requirements file was installed and the hash of
    both files, so `up` after `test` installs nothing (dev includes runtime).
    """
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs on whatever python3 the user has
        sys.exit(f"sopdesk needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating virtualenv in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    current = _requirements_hash([ROOT / "requirements.txt", ROOT / "requirements-dev.txt"])
    stamp = VENV / ".sopdesk-requirements"
    installed_file, _, installed_hash = (stamp.read_text() if stamp.exists() else "").partition(":")
    satisfied = installed_hash == current and installed_file in (requirements, "requirements-dev.txt")
    if satisfied:
        return
    print(f"Installing {requirements} into {VENV} (first run takes about a minute) ...", flush=True)
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(ROOT / requirements)],
        check=True,
    )
    stamp.write_text(f"{requirements}:{current}")


def up(args: list[str]) -> int:
    ensure_venv("requirements.txt")
    return subprocess.call([str(PYTHON), str(ROOT / "manage.py"), "demo", *args], cwd=ROOT)


def test(args: list[str]) -> int:
    ensure_venv("requirements-dev.txt")
    ruff = str(VENV / "bin" / "ruff")
    lint = subprocess.call([ruff, "check", "--quiet", "."], cwd=ROOT)
    if lint != 0:
        print("ruff found problems (above); fix them or run `.venv/bin/ruff check --fix .`", flush=True)
        return lint
    style = subprocess.call([ruff, "format", "--check", "--quiet", "."], cwd=ROOT)
    if style != 0:
        print("ruff format would change the files above; run `.venv/bin/ruff format .`", flush=True)
        return style
    return subprocess.call([str(PYTHON), "-m", "pytest", *args], cwd=ROOT)


COMMANDS = {"up": up, "test": test}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
