"""Fixtures for the magic and API tests: an IPython shell with ``lean_magic`` loaded whose
REPL is the stand-in (configured the way a user would: LEAN_REPL_PATH/LEAN_REPL_ARGS),
and a fake offline bundle built around the stand-in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from lean_magic import close_shared_checker
from lean_magic.bundle import reset_active
from magic_bundle import make_bundle, make_read_only, make_writable

REPO = Path(__file__).resolve().parents[2]

# Everything setup() may export; monkeypatch restores them after each test.
EXPORTED = (
    "PATH",
    "LEAN_SYSROOT",
    "LEAN_PATH",
    "LEAN_REPL_PATH",
    "LEAN_REPL_ARGS",
    "LEAN_REPL_ENV",
    "LEAN_PROJECT",
    "LEAN_TIMEOUT",
    "LEAN_BUNDLE",
    "PYTHONPATH",
)


@pytest.fixture
def clean_env(monkeypatch):
    for key in EXPORTED:
        if key in os.environ:
            monkeypatch.setenv(key, os.environ[key])
        else:
            monkeypatch.delenv(key, raising=False)
    reset_active()
    close_shared_checker()
    yield monkeypatch
    close_shared_checker()
    reset_active()


@pytest.fixture
def use_standin(clean_env, standin_env):
    """Point LEAN_REPL_* at a stand-in (extra args are its faults)."""

    def make(*args, **kwargs) -> dict[str, str]:
        close_shared_checker()
        env = standin_env(*args, **kwargs)
        for key, value in env.items():
            clean_env.setenv(key, value)
        return env

    make()
    return make


@pytest.fixture
def ip(use_standin):
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    shell.extension_manager.load_extension("lean_magic")
    yield shell
    for name in ("r", "res", "x", "n", "α", "first"):
        shell.user_ns.pop(name, None)


@pytest.fixture
def fake_bundle(tmp_path, transcripts_root):
    """Factory: ``fake_bundle(**make_bundle options) -> (bundle, env_log)``, read-only."""
    made: list[Path] = []

    def make(**options):
        from lean_kernel.testing.standin import standin_command

        argv = standin_command([transcripts_root / "v4.33.0-rc2"], [REPO / "tests" / "fixtures" / "scripted"])
        assert argv[0] == sys.executable
        env_log = tmp_path / "repl-env.txt"
        bundle = make_bundle(tmp_path, standin_argv=argv, env_log=env_log, **options)
        make_read_only(bundle)
        made.append(bundle)
        return bundle, env_log

    yield make
    for bundle in made:
        make_writable(bundle)
