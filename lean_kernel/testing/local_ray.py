"""A small local Ray instance for tests and benchmarks, and a check that nothing of it
outlives ``ray.shutdown()``.

    before = processes()
    ray = start_local_ray(num_cpus=2)
    ...
    ray.shutdown()
    assert not leftovers(before)

Small on purpose (a 2-core machine shared with other work): a 100 MB object store, no
dashboard, worker logs not forwarded. On a loaded machine Ray's node agent can miss the
raylet's fixed 15 s start-up wait (ray-project/ray#65983) and the start fails; a second
start succeeds, so ``start_local_ray`` tries again after stopping what the failed start
left running (``ray.shutdown()`` does not).
"""

from __future__ import annotations

import os
import signal
import time

RAY_MARKS = ("ray::", "site-packages/ray/")  # command lines of Ray's processes and workers
ATTEMPTS = 3


def processes() -> dict[int, str]:
    """pid -> command line of every process we can see."""
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    out[int(name)] = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                pass
    return out


def started_since(before: set[int] | dict[int, str], marks: tuple[str, ...] = RAY_MARKS) -> dict[int, str]:
    return {pid: cmd for pid, cmd in processes().items() if pid not in before and any(m in cmd for m in marks)}


def leftovers(before: set[int] | dict[int, str], marks: tuple[str, ...] = RAY_MARKS, wait: float = 15.0) -> list[str]:
    """Processes started since ``before`` whose command line has one of ``marks`` and that
    are still there after ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        left = [f"{pid}: {cmd[:160]}" for pid, cmd in started_since(before, marks).items()]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.25)


def start_local_ray(num_cpus: int = 2, object_store_mb: int = 100):
    """``ray`` after ``ray.init`` of a new local instance (raises ImportError without Ray)."""
    import ray

    before = set(processes())
    for attempt in range(ATTEMPTS):
        try:
            ray.init(
                num_cpus=num_cpus,
                object_store_memory=object_store_mb * 1024 * 1024,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
            return ray
        except Exception:
            ray.shutdown()
            for pid in started_since(before):  # only what this failed start made
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
