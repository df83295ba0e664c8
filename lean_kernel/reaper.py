"""No REPL outlives the Python process that started it.

``process`` registers each REPL's process group here when it starts one and forgets it
when it kills it. Two guards cover the two ways the owner can end:

- **A normal exit** (``sys.exit``, the end of a script, a kernel shutdown) runs
  ``atexit`` handlers. The reaper kills every group still registered, even the ones a
  busy pool thread is waiting on: daemon threads are still blocked in ``poll`` then, and
  their REPLs would otherwise be orphaned with their requests half done.
- **SIGKILL** (the OOM killer, "the kernel died", ``kill -9``) runs nothing at all. A
  *watchdog* process reads a pipe whose only write end we hold. When we die, the
  operating system closes that end, the watchdog reads end-of-file, and it kills the
  groups registered in it.

Why not ``PR_SET_PDEATHSIG``: the signal fires when the *thread* that forked the child
ends (a pool's worker threads end after every run), it is not inherited across the fork
``lake env`` does to start the repl, and setting it needs ``preexec_fn``, which is unsafe
with threads. The watchdog kills the whole group, so lake and the repl go together.

The watchdog is one small Python process per owner, started with the first REPL, in a
session of its own so that the SIGINT of a Jupyter interrupt or a ``killpg`` of the
kernel's group does not take it down with the kernel. It imports nothing of ours.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time

__all__ = ["exiting", "reap_all", "track", "tracked", "untrack"]

# The watchdog's whole program: "+PGID" / "-PGID" lines; at end of input, SIGKILL the rest.
_WATCHDOG = r"""
import os, signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
groups, pending = set(), b""
while True:
    try:
        data = os.read(0, 65536)
    except InterruptedError:
        continue
    except OSError:
        break
    if not data:
        break
    *lines, pending = (pending + data).split(b"\n")
    for line in lines:
        if line[:1] == b"+":
            groups.add(int(line[1:]))
        elif line[:1] == b"-":
            groups.discard(int(line[1:]))
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""

EXIT_WAIT = 2.0  # seconds the exit handler waits for killed group leaders to be gone

_lock = threading.Lock()
_groups: dict[int, None] = {}  # process group ids we started and have not killed yet
_owner = os.getpid()
_watchdog: subprocess.Popen[bytes] | None = None
_pipe = -1  # write end of the watchdog's stdin
_exiting = False


def track(pgid: int) -> None:
    """A REPL process group was started: kill it if this process ends first."""
    if _exiting:  # started by a thread that did not notice the exit: too late to keep
        _kill(pgid)
        return
    with _lock:
        _groups[pgid] = None
        _tell(b"+%d\n" % pgid)


def untrack(pgid: int) -> None:
    """That group was killed (or exited): nothing to do for it any more."""
    with _lock:
        if pgid in _groups:
            del _groups[pgid]
            _tell(b"-%d\n" % pgid)


def tracked() -> list[int]:
    with _lock:
        return list(_groups)


def exiting() -> bool:
    """Python is exiting: no REPL may be started any more (it would be an orphan)."""
    return _exiting


def _kill(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def reap_all() -> list[int]:
    """SIGKILL every registered group and wait (briefly) until their leaders are gone.
    Returns the group ids it killed. Runs at exit; safe to call at any time."""
    if os.getpid() != _owner:  # a forked child must not kill its parent's REPLs
        return []
    # Not under _lock: a thread that holds it may never run again at exit.
    killed = list(_groups)
    for pgid in killed:
        _kill(pgid)
    deadline = time.monotonic() + EXIT_WAIT
    waiting = set(killed)
    while waiting and time.monotonic() < deadline:
        for pgid in list(waiting):
            if not _running(pgid):
                waiting.discard(pgid)
        if waiting:
            time.sleep(0.005)
    _groups.clear()
    return killed


def _running(pid: int) -> bool:
    """The leader still runs (a zombie does not): reaped here if it is our child."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
    except ChildProcessError:  # not our child, or reaped already by its Popen
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return False


def _tell(line: bytes) -> None:
    """Send one line to the watchdog, starting it (again) if needed. Best effort: without
    a watchdog the exit handler still covers every exit but SIGKILL."""
    for _ in range(2):
        if _pipe < 0 and not _start_watchdog():
            return
        try:
            os.write(_pipe, line)
            return
        except OSError:  # it died (someone killed it): start another with the full list
            _close_pipe()
            line = b"".join(b"+%d\n" % g for g in _groups)


def _start_watchdog() -> bool:
    global _watchdog, _pipe
    if not sys.executable:
        return False
    read_end, write_end = os.pipe()
    try:
        _watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHDOG],
            stdin=read_end,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
    except OSError:
        os.close(write_end)
        return False
    finally:
        os.close(read_end)
    _pipe = write_end
    return True


def _close_pipe() -> None:
    global _watchdog, _pipe
    if _pipe >= 0:
        try:
            os.close(_pipe)
        except OSError:
            pass
    _pipe = -1
    _watchdog = None


def _after_fork_in_child() -> None:
    # The child is a new owner with no REPLs of its own; it must not hold the parent's
    # pipe open either (the watchdog would never see the parent die).
    global _owner, _watchdog, _pipe, _lock, _exiting
    _owner, _exiting = os.getpid(), False
    _groups.clear()
    if _pipe >= 0:
        try:
            os.close(_pipe)
        except OSError:
            pass
    _pipe, _watchdog = -1, None
    _lock = threading.Lock()


def _at_exit() -> None:
    global _exiting
    # First, so that a pool thread woken by the kills below does not start a new REPL.
    _exiting = True
    reap_all()
    watchdog = _watchdog
    _close_pipe()  # the watchdog reads EOF and exits; nothing is left for it to kill
    # Reaped here so that no zombie of ours is left for the parent's tools to count.
    if watchdog is not None and os.getpid() == _owner:
        try:
            watchdog.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass


atexit.register(_at_exit)
os.register_at_fork(after_in_child=_after_fork_in_child)
