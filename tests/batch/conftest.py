"""Fixtures for the batch tests: a real local Ray instance (tests marked ``ray``), kept
small for a 2-core machine shared with other work, and shut down with nothing left behind."""

from __future__ import annotations

import os
import signal
import time

import pytest

RAY_PROCESS_MARKS = ("ray::", "site-packages/ray/")


def _processes() -> dict[int, str]:
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    out[int(name)] = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                pass
    return out


def _started_since(before: set[int], marks: tuple[str, ...]) -> list[int]:
    return [pid for pid, cmd in _processes().items() if pid not in before and any(m in cmd for m in marks)]


def leftovers(before: set[int], marks: tuple[str, ...], wait: float = 15.0) -> list[str]:
    """Processes started since ``before`` whose command line has one of ``marks``, once
    ``wait`` seconds have passed without them all exiting."""
    deadline = time.monotonic() + wait
    while True:
        left = [f"{pid}: {cmd[:160]}" for pid, cmd in _processes().items() if pid not in before and any(m in cmd for m in marks)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.25)


@pytest.fixture(scope="session")
def local_ray():
    """``ray``, initialised once for the session: 2 CPUs, a 100 MB object store, no
    dashboard. After the last test: shut down, and no Ray process may remain."""
    try:
        import ray
    except ImportError:
        pytest.fail('the ray tests need Ray: pip install -e ".[ray]" (as .ci/run does)', pytrace=False)
    before = set(_processes())
    for attempt in range(3):
        try:
            ray.init(
                num_cpus=2,
                object_store_memory=100 * 1024 * 1024,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
            break
        except Exception:
            # On a loaded machine Ray's node agent can miss the raylet's fixed 15 s start-up
            # wait (ray-project/ray#65983), and the raylet exits; a second start succeeds.
            # ray.shutdown() does not stop what the failed start left (the GCS...): we do.
            ray.shutdown()
            for pid in _started_since(before, RAY_PROCESS_MARKS):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if attempt == 2:
                raise
    try:
        yield ray
    finally:
        ray.shutdown()
        left = leftovers(before, RAY_PROCESS_MARKS)
        assert not left, "Ray processes outlived ray.shutdown():\n" + "\n".join(left)
