"""Looking at processes from tests: is one running, who is in a process group, who has a
text in its command line, how much memory one holds. Linux /proc only; a zombie counts
as gone (its parent has not reaped it yet, but it runs nothing and holds no memory)."""

from __future__ import annotations

import os


def _stat_fields(pid: int | str) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()  # state, ppid, pgrp, ...
    except (OSError, IndexError):
        return None


def running(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in (b"Z", b"X")


def group_members(pgid: int) -> list[int]:
    """Running processes in process group ``pgid``."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat_fields(name)
            if fields is not None and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
                out.append(int(name))
    return out


def processes_with(text: str) -> list[int]:
    """Running processes whose command line contains ``text``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmdline and running(int(name)):
            found.append(int(name))
    return found


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024
