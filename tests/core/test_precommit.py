"""The pre-commit hook, run for real: ``pre-commit run`` in a git repository of batch
CSVs whose ``.pre-commit-config.yaml`` names a git copy of this working tree.

The hook repository is a fresh ``git init`` of a copy of the working tree (not a
clone: uncommitted work would be missing), made once per pytest run and pinned
by its commit, and ``PRE_COMMIT_HOME`` is one temporary folder for the run: the
hook's virtualenv (which pip-installs preflight and its dependencies) is built
once, from scratch, and every test reuses it. (``pre-commit try-repo`` would
make a new shadow commit, and so a new environment, at every call.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")

GIT_IDENTITY = ["-c", "user.name=preflight tests", "-c", "user.email=tests@preflight.invalid",
                "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]


def _clean_env(**extra: str) -> dict[str, str]:
    # nothing from an outer git or pre-commit run may leak in (GIT_DIR, GIT_INDEX_FILE, ...)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=cwd, check=False, capture_output=True, text=True,
                          env=_clean_env(), timeout=120)
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _copy_tree(dest: Path) -> None:
    """The files a build of the working tree needs, as they are now (committed or not)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".mypy_cache")
    shutil.copytree(ROOT / "src", dest / "src", ignore=ignore)
    for name in ("pyproject.toml", ".pre-commit-hooks.yaml", "README.md", "CHANGELOG.md", "LICENSE"):
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, dest / name)
    if not (dest / "README.md").exists():  # pyproject's readme must exist to build
        (dest / "README.md").write_text("# preflight\n")


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """The hook repository and the commit the batch repositories pin."""
    repo = tmp_path_factory.mktemp("hook-repo")
    _copy_tree(repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "preflight working tree for the hook test")
    return repo, git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def batch_repo(tmp_path, hook_repo) -> Path:
    """A git repository whose ``.pre-commit-config.yaml`` uses the hook at the pinned commit."""
    repo = tmp_path / "batches-repo"
    repo.mkdir()
    git(repo, "init", "-q")
    hook_path, rev = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_path.as_uri()}\n    rev: {rev}\n    hooks:\n      - id: preflight\n")
    git(repo, "add", ".pre-commit-config.yaml")
    return repo


def run_hook(home: Path, repo: Path, *files: str, all_files: bool = False):
    """``pre-commit run preflight --files ...`` (or ``--all-files``) in ``repo``."""
    selection = ["--all-files"] if all_files else ["--files", *files]
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "preflight", "--verbose", "--color", "never", *selection],
        cwd=repo, check=False, capture_output=True, text=True, timeout=1800,
        env=_clean_env(PRE_COMMIT_HOME=str(home)),
    )
    return proc, proc.stdout + proc.stderr


def _add(repo: Path, name: str, content: bytes | str) -> str:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    git(repo, "add", name)
    return name


def test_hooks_file_is_valid_for_pre_commit():
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                          check=False, capture_output=True, text=True, env=_clean_env(), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_good_batch_passes(pre_commit_home, batch_repo):
    name = _add(batch_repo, "wave1-finance.csv", (SAMPLES / "wave1-finance.csv").read_bytes())
    proc, out = run_hook(pre_commit_home, batch_repo, name)
    assert proc.returncode == 0, out
    assert "preflight" in out and "Passed" in out
    # the hook ran (verbose shows its report), it was not skipped for lack of files
    assert "0 error(s)" in out


def test_semicolon_batch_fails(pre_commit_home, batch_repo):
    good = _add(batch_repo, "wave1-finance.csv", (SAMPLES / "wave1-finance.csv").read_bytes())
    bad = _add(batch_repo, "excel-semicolons.csv", (SAMPLES / "excel-semicolons.csv").read_bytes())
    proc, out = run_hook(pre_commit_home, batch_repo, good, bad)
    assert proc.returncode == 1, out
    assert "Failed" in out
    assert "PF103" in out and "excel-semicolons.csv" in out
    assert "exit code: 1" in out


def test_address_in_two_files_of_one_commit_fails(pre_commit_home, batch_repo):
    """All staged CSVs arrive in one process (require_serial), so PF135 sees both."""
    first = _add(batch_repo, "wave-a.csv", "EmailAddress\nann.lee@contoso.com\nbob.ross@contoso.com\n")
    second = _add(batch_repo, "wave-b.csv", "EmailAddress\ncarol.diaz@contoso.com\nbob.ross@contoso.com\n")
    proc, out = run_hook(pre_commit_home, batch_repo, all_files=True)
    assert proc.returncode == 1, out
    assert "PF135" in out
    assert first in out and second in out
    assert "bob.ross@contoso.com" in out
    # the sample waves repeat an address too
    git(batch_repo, "rm", "-q", "--cached", first, second)
    (batch_repo / first).unlink()
    (batch_repo / second).unlink()
    w1 = _add(batch_repo, "w1.csv", (SAMPLES / "wave1-finance.csv").read_bytes())
    w2 = _add(batch_repo, "w2.csv", (SAMPLES / "wave2-sales.csv").read_bytes())
    proc, out = run_hook(pre_commit_home, batch_repo, w1, w2)
    assert proc.returncode == 1 and "PF135" in out and w1 in out and w2 in out, out
    # each file alone is clean
    proc, out = run_hook(pre_commit_home, batch_repo, w1)
    assert proc.returncode == 0, out


def test_new_batch_compared_with_committed_batch_folder(pre_commit_home, batch_repo):
    """With ``batch_folder`` in the repository's config, a new file is compared with committed ones."""
    (batch_repo / "preflight.toml").write_text('batch_folder = "batches"\n')
    git(batch_repo, "add", "preflight.toml")
    _add(batch_repo, "batches/wave1-finance.csv", (SAMPLES / "wave1-finance.csv").read_bytes())
    git(batch_repo, "commit", "-q", "-m", "wave 1")
    new = _add(batch_repo, "batches/wave2-sales.csv", (SAMPLES / "wave2-sales.csv").read_bytes())
    proc, out = run_hook(pre_commit_home, batch_repo, new)
    assert proc.returncode == 1, out
    assert "PF135" in out and "wave1-finance.csv" in out


def test_only_csv_files_reach_the_hook(pre_commit_home, batch_repo):
    notes = _add(batch_repo, "notes.md", "not a batch; a;b;c\n")
    proc, out = run_hook(pre_commit_home, batch_repo, notes)
    assert proc.returncode == 0, out
    assert "no files to check" in out.lower()
