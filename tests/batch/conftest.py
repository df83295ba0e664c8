"""Fixtures for the batch tests: a real local Ray instance (tests marked ``ray``), kept
small for a 2-core machine shared with other work, and shut down with nothing left behind
(lean_kernel.testing.local_ray)."""

from __future__ import annotations

import pytest

from lean_kernel.testing.local_ray import leftovers, processes, start_local_ray


@pytest.fixture(scope="session")
def local_ray():
    """``ray``, initialised once for the session: 2 CPUs, a 100 MB object store, no
    dashboard. After the last test: shut down, and no Ray process may remain."""
    try:
        import ray
    except ImportError:
        pytest.fail('the ray tests need Ray: pip install -e ".[ray]" (as .ci/run does)', pytrace=False)
    before = processes()
    ray = start_local_ray(num_cpus=2)
    try:
        yield ray
    finally:
        ray.shutdown()
        left = leftovers(before)
        assert not left, "Ray processes outlived ray.shutdown():\n" + "\n".join(left)
