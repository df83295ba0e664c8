"""One Lean REPL subprocess: start it, frame requests and responses, enforce a wall-clock
deadline, and turn every way it can fail into a specific exception after a restart.

This layer knows bytes, pipes, process groups and time. It knows nothing of Lean beyond
the framing; ``protocol`` parses what it reads.

Why pipes and not pexpect: a pty runs the line discipline, which truncates lines past
4096 bytes in canonical mode, rewrites ``\\n`` as ``\\r\\n`` and merges stderr into the
stream. REPL responses are single JSON lines of many megabytes, and stderr carries the
fatal errors we must keep apart, so only plain pipes are faithful.

Framing rule (what ``_take_frame`` implements):
- A frame is the text up to the first blank line (``\\n\\n``) after some non-blank text.
  Blank lines before any text are skipped. This is the REPL's own rule: pretty-printed
  JSON never contains a blank line, because newlines inside strings are escaped.
- Within a frame, the response is the suffix that starts at the earliest ``{`` and
  parses as a JSON object. Text before it is *stray output* (a tactic that prints to
  stdout in tactic mode; the REPL does not capture it there). It is kept in
  ``ReplProcess.last_stray_output``; the response is returned normally.
- A frame with no such suffix is ``ReplBadOutput``, showing its first bytes. This is
  what an injected garbage line looks like, and it is reported at once instead of
  waiting for the timeout. The price: stray output that itself contains a blank line
  ends a frame early and is reported as bad output (then the REPL is restarted). We
  accept that because a framing fault must never be silently skipped: reading on past a
  frame we do not understand could pair a later answer with the wrong request.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import select
import signal as _signal
import subprocess
import threading
import time
from typing import Any

from . import reaper
from .config import CONFIGURED, NO_LIMIT, ConfigError, Limit, ReplConfig, TimeoutArg, resolve_timeout
from .protocol import ProtocolError, Request, Response, encode_request, parse_response

__all__ = [
    "ReplBadOutput",
    "ReplClientError",
    "ReplExited",
    "ReplFailure",
    "ReplInterrupted",
    "ReplKilled",
    "ReplNotFound",
    "ReplOutOfMemory",
    "ReplOutputTooLarge",
    "ReplProcess",
    "ReplTimeout",
]

STDERR_TAIL_BYTES = 64 * 1024
READ_CHUNK = 1024 * 1024
# A bigger pipe means ~16x fewer wake-ups while a 100 MB response streams in.
PIPE_SIZE = 1024 * 1024
F_SETPIPE_SZ = 1031  # Linux fcntl; absent from the fcntl module on older Pythons
EXIT_GRACE = 2.0  # after stdout EOF / stdin close: how long the REPL may take to exit
MAX_SUFFIX_TRIES = 16  # bounds the slow path of the stray-output rule on garbage frames
MAX_POLL_MS = 60_000  # one poll's wait; a deadline far away is reached in several
_OOM_SIGNALS = (_signal.SIGKILL, _signal.SIGSEGV, _signal.SIGABRT)
# What Lean's runtime and the C++ allocator print when memory runs out ("bad_alloc" also
# covers "std::bad_alloc"); the doctor reads start-up failures with the same list.
OUT_OF_MEMORY_WORDS = ("out of memory", "bad_alloc", "cannot allocate memory")


def says_out_of_memory(stderr: str) -> bool:
    low = stderr.lower()
    return any(w in low for w in OUT_OF_MEMORY_WORDS)


# --------------------------------------------------------------------------- exceptions


class ReplFailure(Exception):
    """The REPL process failed. ``cause`` says how, in words; ``restarted`` says whether a
    fresh process is already running (env and proof-state ids from before are gone)."""

    def __init__(
        self,
        cause: str,
        *,
        stderr_tail: str = "",
        restarted: bool = False,
        restart_error: str | None = None,
        returncode: int | None = None,
        signal: int | None = None,
        timeout: float | None = None,
        first_bytes: bytes | None = None,
        stdout_head: bytes | None = None,
        generation: int | None = None,
    ) -> None:
        self.cause = cause
        self.stderr_tail = stderr_tail
        self.restarted = restarted
        self.restart_error = restart_error
        self.returncode = returncode
        self.signal = signal
        self.timeout = timeout
        self.first_bytes = first_bytes
        self.stdout_head = stdout_head
        self.generation = generation  # the generation that failed
        super().__init__(cause)

    @property
    def signal_name(self) -> str | None:
        return None if self.signal is None else _signal_name(self.signal)

    def __str__(self) -> str:
        parts = [self.cause]
        if self.stdout_head:
            parts.append(f"its output before that began with {_show(self.stdout_head)}")
        tail = _last_lines(self.stderr_tail)
        if tail:
            parts.append("stderr (last lines):\n" + tail)
        if self.restarted:
            parts.append("the REPL was restarted: env and proof-state ids from before are gone")
        elif self.restart_error:
            parts.append(f"restarting it failed ({self.restart_error}); the next request will try again")
        return "\n".join(parts)


class ReplNotFound(ReplFailure):
    """The REPL cannot be started; the message names the setting to fix."""


class ReplExited(ReplFailure):
    """The REPL exited (``returncode``); a malformed request shows "uncaught exception" on stderr."""


class ReplKilled(ReplFailure):
    """The REPL was killed by a signal (``signal``)."""


class ReplOutOfMemory(ReplKilled):
    """The REPL died while a memory limit was set (``ReplConfig.memory_limit_mb``). The
    message names the setting; how much memory a library needs, and how this user
    changes the setting, is the frontend's advice (``doctor.Advice.memory``)."""


class ReplTimeout(ReplFailure):
    """No complete response within ``timeout`` seconds."""


class ReplBadOutput(ReplFailure):
    """The REPL printed a frame that holds no JSON object; ``first_bytes`` shows it."""


class ReplOutputTooLarge(ReplFailure):
    """The response grew past ``config.max_response_bytes``."""


class ReplInterrupted(ReplFailure):
    """KeyboardInterrupt (or ``cancel()``) while waiting for a response."""


class ReplClientError(ReplFailure):
    """Our own side failed between writing a request and reading its answer (``cause``
    names the exception, which is chained). The answer may still be in the pipe, where
    the next request would read it as its own, so the REPL was restarted."""


# --------------------------------------------------------------------------- helpers


def _signal_name(num: int) -> str:
    try:
        return _signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def _show(data: bytes, limit: int = 200) -> str:
    text = repr(bytes(data[:limit]))
    return text + (f" ... ({len(data)} bytes)" if len(data) > limit else "")


def _last_lines(text: str, lines: int = 20, chars: int = 2000) -> str:
    text = text.rstrip()
    if not text:
        return ""
    tail = "\n".join(text.splitlines()[-lines:])
    return tail[-chars:]


class _TailBuffer:
    """The last ``limit`` bytes written, so a REPL flooding stderr costs bounded memory."""

    def __init__(self, limit: int = STDERR_TAIL_BYTES) -> None:
        self.limit = limit
        self._buf = bytearray()
        self.total = 0
        self._lock = threading.Lock()

    def add(self, data: bytes) -> None:
        with self._lock:
            self.total += len(data)
            self._buf += data
            if len(self._buf) > 2 * self.limit:  # trim in batches, not per chunk
                del self._buf[: len(self._buf) - self.limit]

    def text(self) -> str:
        with self._lock:
            return bytes(self._buf[-self.limit :]).decode("utf-8", "replace")


def _drain(stream, sink: _TailBuffer) -> None:
    # Blocking reads on its own daemon thread: stderr can never fill its pipe and stall
    # the REPL while we wait on stdout. The thread owns the stream and closes it, so its
    # fd number is never reused under a read that is still blocked.
    try:
        while True:
            try:
                data = stream.read(65536)
            except InterruptedError:
                continue
            except (OSError, ValueError):  # the pipe was closed under the read: the REPL is gone
                return
            if not data:
                return
            sink.add(data)
    finally:
        try:
            stream.close()
        except OSError:  # nothing to do about a pipe that fails to close
            pass


class _Fault(Exception):
    """Internal: a detected fault, raised to the request loop's handler."""

    def __init__(
        self, cls: type[ReplFailure], cause: str, *, original: BaseException | None = None, **attrs: Any
    ) -> None:
        super().__init__(cause)
        self.cls = cls
        self.cause = cause
        self.original = original
        self.attrs = attrs


# --------------------------------------------------------------------------- the process


class ReplProcess:
    """One REPL subprocess. Not reentrant: a lock keeps one request in flight."""

    def __init__(self, config: ReplConfig) -> None:
        self.config = config
        self.generation = 0
        self.requests_served = 0
        self.last_stray_output = ""  # text printed before the last response's JSON
        self.last_returncode: int | None = None  # how the previous process ended (0: clean exit)
        self._proc: subprocess.Popen[bytes] | None = None
        self._stdin_fd = -1
        self._stdout_fd = -1
        self._stderr = _TailBuffer()
        self._stderr_thread: threading.Thread | None = None
        self._buf = bytearray()  # stdout read but not yet consumed
        self._chunk = bytearray(READ_CHUNK)  # reused by readv: no 1 MiB allocation per read
        self._chunk_view = memoryview(self._chunk)
        self._poller: select.poll | None = None
        self._lock = threading.RLock()
        self._cancelled = False

    # ------------------------------------------------------------------ state

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._exit_status(wait=0.0) is None

    def stderr_tail(self) -> str:
        """The last 64 KiB the current process wrote to stderr."""
        return self._stderr.text()

    @property
    def stderr_bytes(self) -> int:
        """How much the current process has written to stderr in all."""
        return self._stderr.total

    def __repr__(self) -> str:
        state = "alive" if self.alive else "stopped"
        return f"<ReplProcess pid={self.pid} generation={self.generation} {state}>"

    def __enter__(self) -> ReplProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the REPL unless it is running. Raises ReplNotFound naming the fix."""
        with self._lock:
            if self._proc is not None:
                if self.alive:
                    return
                self._kill_and_reap()
            self._spawn()

    def restart(self) -> None:
        with self._lock:
            self._kill_and_reap()
            self._spawn()

    def kill(self) -> None:
        """Kill the process group now (no grace); the next request starts a new process."""
        with self._lock:
            self._kill_and_reap()

    def close(self) -> None:
        """Close stdin (the REPL exits 0 on EOF), give it a moment, then kill the group."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            try:
                if proc.stdin is not None:
                    proc.stdin.close()  # via the file object, which owns the fd
            except OSError:  # a broken pipe: it is dead already, and killed below anyway
                pass
            self._stdin_fd = -1
            self._exit_status(wait=EXIT_GRACE)
            self._kill_and_reap()

    def cancel(self) -> bool:
        """Kill the REPL from another thread so that the request in flight raises
        ReplInterrupted (after a restart). Lock-free on purpose: that request holds the
        lock. Returns False, doing nothing, when no request is in flight."""
        proc = self._proc
        if proc is None:
            return False
        if self._lock.acquire(blocking=False):  # idle: nothing to cancel
            self._lock.release()
            return False
        self._cancelled = True
        try:
            os.killpg(proc.pid, _signal.SIGKILL)
        except (ProcessLookupError, PermissionError):  # exited meanwhile: the request ends anyway
            pass
        return True

    def _spawn(self) -> None:
        cfg = self.config
        if reaper.exiting():
            raise ReplNotFound("not starting a Lean REPL: Python is exiting")
        try:
            argv = cfg.command()
        except ConfigError as exc:
            raise ReplNotFound(str(exc)) from exc
        limit = cfg.memory_limit_mb
        preexec = None
        if limit:
            limit_bytes = int(limit) * 1024 * 1024

            def preexec() -> None:  # runs in the child between fork and exec
                import resource

                resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                cwd=cfg.cwd(),
                env=cfg.process_env(),
                close_fds=True,
                # Own session = own process group: `lake env` forks the repl, and one
                # killpg must reach both. It also keeps the terminal's / Jupyter's SIGINT
                # (sent to our group) from killing the REPL behind our back.
                start_new_session=True,
                preexec_fn=preexec,
            )
        except (FileNotFoundError, PermissionError) as exc:
            cwd = cfg.cwd()
            if cwd and exc.filename == cwd:
                msg = f"Lean project folder not usable at {cwd} ({exc.strerror}); set LEAN_PROJECT"
            elif os.path.isfile(argv[0]):
                # The file is there, so exec failed on its #! interpreter or loader.
                msg = (
                    f"cannot run the repl binary at {argv[0]} ({exc.strerror}; its #! interpreter or "
                    "loader may be missing); set LEAN_REPL_PATH to a working repl"
                )
            else:
                msg = f"repl binary not found at {argv[0]}; set LEAN_REPL_PATH to the repl binary"
            raise ReplNotFound(msg) from exc
        except subprocess.SubprocessError as exc:  # preexec_fn failed: setrlimit refused
            raise ReplNotFound(
                f"could not apply the memory limit of {limit} MiB ({exc}); lower or unset LEAN_MEMORY_LIMIT_MB"
            ) from exc
        except OSError as exc:
            raise ReplNotFound(
                f"cannot start the Lean REPL {argv[0]} ({exc}); set LEAN_REPL_PATH to a working repl binary"
            ) from exc

        assert proc.stdin and proc.stdout and proc.stderr
        reaper.track(proc.pid)  # killed with us, even by SIGKILL (see reaper)
        self._proc = proc
        self._stdin_fd = proc.stdin.fileno()
        self._stdout_fd = proc.stdout.fileno()
        try:
            import fcntl

            fcntl.fcntl(self._stdout_fd, F_SETPIPE_SZ, PIPE_SIZE)
        except (ImportError, OSError):
            pass  # best effort: only speed depends on it
        os.set_blocking(self._stdin_fd, False)
        os.set_blocking(self._stdout_fd, False)
        self._poller = select.poll()
        self._poller.register(self._stdout_fd, select.POLLIN)
        self._buf = bytearray()
        self._stderr = _TailBuffer()
        self._stderr_thread = threading.Thread(
            target=_drain, args=(proc.stderr, self._stderr), name=f"repl-stderr-{proc.pid}", daemon=True
        )
        self._stderr_thread.start()
        self._cancelled = False
        self.generation += 1
        self.requests_served = 0

    def _exit_status(self, wait: float) -> int | None:
        """The leader's exit status without reaping it (so killpg still targets our group),
        waiting up to ``wait`` seconds; None while it runs."""
        proc = self._proc
        if proc is None:
            return None
        if proc.returncode is not None:
            return proc.returncode
        deadline = time.monotonic() + wait
        delay = 0.001
        while True:
            try:
                info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return proc.poll()
            if info is not None:
                if info.si_code == os.CLD_EXITED:
                    return info.si_status
                return -info.si_status
            if time.monotonic() >= deadline:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _kill_and_reap(self) -> None:
        proc = self._proc
        if proc is None:
            return
        # Forget it first: a KeyboardInterrupt in the waits below must leave no process
        # whose pipes are closed but whose fd numbers we would still write to and poll.
        self._proc = None
        self._stdin_fd = self._stdout_fd = -1
        # killpg before reaping: the unreaped leader keeps the group id ours.
        try:
            os.killpg(proc.pid, _signal.SIGKILL)
        except (ProcessLookupError, PermissionError):  # the group is gone already: nothing to kill
            pass
        reaper.untrack(proc.pid)
        try:
            self.last_returncode = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # unkillable (D state); do not hang the caller
            self.last_returncode = None
        for f in (proc.stdin, proc.stdout):
            try:
                if f is not None:
                    f.close()
            except OSError:  # a close error on a dead process's pipe tells nothing
                pass
        if self._stderr_thread is not None:
            # Not joined forever: a grandchild that escaped the group may hold stderr open.
            self._stderr_thread.join(timeout=1.0)

    # ------------------------------------------------------------------ requests

    def request(self, req: Request, timeout: TimeoutArg = CONFIGURED) -> Response:
        """Send one request and return its parsed response (a ReplErrorResponse is
        returned, not raised). Any fault restarts the REPL and raises a ReplFailure.
        ``timeout``: seconds, NO_LIMIT, or CONFIGURED (the default; None means it too)
        for ``config.timeout``; text as ``config.parse_timeout`` reads it."""
        _, resp = self._exchange(encode_request(req), timeout, typed=True)
        return resp

    def request_json(self, obj: dict | str, timeout: TimeoutArg = CONFIGURED) -> str:
        """Send a raw request (a dict, or text sent verbatim) and return the response's
        JSON text as the REPL printed it, without the blank line."""
        if isinstance(obj, str):
            payload = obj.rstrip("\n").encode("utf-8") + b"\n\n"
        else:
            payload = (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n\n").encode("utf-8")
        raw, _ = self._exchange(payload, timeout, typed=False)
        return raw.decode("utf-8", "replace")

    def _exchange(self, payload: bytes, timeout: TimeoutArg, typed: bool) -> tuple[bytes, Any]:
        # Checked before anything is written: a limit that is no duration (nan) used to
        # fail after the write, leaving the answer to be read by the next request.
        limit = resolve_timeout(timeout, self.config)
        with self._lock:
            if self._proc is None:
                self.start()
            try:
                try:
                    raw, obj = self._roundtrip(payload, limit)
                    result = parse_response(obj) if typed else obj
                except KeyboardInterrupt:
                    raise _Fault(
                        ReplInterrupted, "Lean REPL interrupted (KeyboardInterrupt) while running a request"
                    ) from None
                except ProtocolError as exc:
                    # JSON, but no response shape we know: as unusable as garbage.
                    raise _Fault(
                        ReplBadOutput, f"Lean REPL sent an unparsable response ({exc})", first_bytes=raw[:200]
                    ) from None
                except _Fault:
                    raise
                except Exception as exc:
                    # Whatever failed on our side, the request is written and its answer
                    # may be unread: only a new process guarantees that the next answer
                    # belongs to the next request.
                    raise _Fault(
                        ReplClientError,
                        f"lean_kernel failed while waiting for the REPL's answer ({type(exc).__name__}: {exc})",
                        original=exc,
                    ) from exc
                except BaseException:
                    # SystemExit and the like: the caller is going away. No restart, but
                    # no half-read answer either.
                    self._kill_and_reap()
                    raise
            except _Fault as fault:
                self._fail(fault)
            self.requests_served += 1
            return raw, result

    def _roundtrip(self, payload: bytes, limit: Limit) -> tuple[bytes, dict]:
        """Write ``payload`` and read until one whole response is framed, within ``limit``."""
        deadline = None if limit is NO_LIMIT else time.monotonic() + limit
        self.last_stray_output = ""
        poller = self._poller
        assert poller is not None  # a started process has one
        in_fd = self._stdin_fd
        pending = memoryview(payload) if in_fd >= 0 else memoryview(b"")
        # Most requests fit in the pipe at once: write before polling, and ask poll for
        # writability only while something is left (a request larger than the pipe).
        pending = self._write_some(pending)
        if pending:
            poller.register(in_fd, select.POLLOUT)
        try:
            scan = 0  # bytes of the current frame already searched for the terminator
            while True:
                frame = self._take_frame(scan)
                if isinstance(frame, tuple):
                    return frame
                scan = frame
                self._check_waiting(limit, deadline)
                pending = self._pump(poller, pending, self._wait_ms(deadline))
        finally:
            if pending:
                try:
                    poller.unregister(in_fd)
                except KeyError:
                    pass

    def _check_waiting(self, limit: Limit, deadline: float | None) -> None:
        """Raise the fault that ends the wait for a response, if one has happened: too
        much output, a cancel from another thread, or the deadline passed."""
        max_bytes = self.config.max_response_bytes
        if len(self._buf) > max_bytes:
            raise _Fault(
                ReplOutputTooLarge,
                f"Lean REPL response too large: more than {max_bytes} bytes without a complete "
                "response (raise ReplConfig.max_response_bytes if this is expected)",
                first_bytes=bytes(self._buf[:200]),
            )
        if self._cancelled:
            raise _Fault(ReplInterrupted, "Lean REPL interrupted (cancelled) while running a request")
        if deadline is not None and limit is not NO_LIMIT and deadline - time.monotonic() <= 0:
            raise _Fault(
                ReplTimeout,
                f"Lean REPL timed out after {_secs(limit)} s without a complete response",
                timeout=limit,
                stdout_head=bytes(self._buf[:200]) or None,
            )

    @staticmethod
    def _wait_ms(deadline: float | None) -> int | None:
        """How long one poll may wait: until the deadline, in pieces of at most MAX_POLL_MS."""
        if deadline is None:
            return None
        return min(MAX_POLL_MS, max(1, int((deadline - time.monotonic()) * 1000) + 1))

    def _pump(self, poller: select.poll, pending: memoryview, wait_ms: int | None) -> memoryview:
        """One poll: read what stdout has into the buffer, write more of ``pending`` when
        stdin takes it. Returns what is still to be written."""
        out_fd = self._stdout_fd
        for fd, _ in poller.poll(wait_ms):
            if fd == out_fd:
                try:
                    n = os.readv(out_fd, [self._chunk])
                except BlockingIOError:
                    continue
                if not n:
                    self._on_eof()
                self._buf += self._chunk_view[:n]
            elif pending:
                pending = self._write_some(pending)
                if not pending:
                    poller.unregister(self._stdin_fd)
        return pending

    def _write_some(self, pending: memoryview) -> memoryview:
        try:
            return pending[os.write(self._stdin_fd, pending) :] if pending else pending
        except BlockingIOError:
            return pending
        except BrokenPipeError:
            # It died before reading everything; stdout EOF will tell us how.
            return pending[:0]

    def _take_frame(self, scan: int) -> tuple[bytes, dict] | int:
        """Cut one response off the read buffer (see the module docstring for the rule).
        Returns (json bytes, object), or how far the terminator search got."""
        buf = self._buf
        start = 0
        n = len(buf)
        while start < n and buf[start] == 0x0A:  # blank lines before any text
            start += 1
        if start:
            del buf[:start]
            scan = max(0, scan - start)
        # Resume one byte early: the "\n\n" may straddle two reads.
        end = buf.find(b"\n\n", max(0, scan - 1))
        if end < 0:
            return len(buf)
        with memoryview(buf) as view:
            frame = bytes(view[:end])  # one copy, not two (a bytearray slice copies too)
        del buf[: end + 2]
        if not buf:
            self._buf = bytearray()  # do not keep a 100 MB allocation for the next request
        at = 0
        tries = 0
        while tries < MAX_SUFFIX_TRIES:
            at = frame.find(b"{", at)
            if at < 0:
                break
            tries += 1
            try:
                obj = json.loads(frame[at:] if at else frame)
            except ValueError:
                at += 1
                continue
            except RecursionError:
                raise _Fault(
                    ReplBadOutput,
                    "Lean REPL response is nested too deeply for Python's JSON parser (recursion "
                    'limit); ask for less (e.g. infotree="tactics" instead of "full")',
                    first_bytes=frame[:200],
                ) from None
            if isinstance(obj, dict):
                stray = frame[:at]
                self.last_stray_output = stray.decode("utf-8", "replace")
                return (frame[at:] if at else frame), obj
            at += 1
        raise _Fault(
            ReplBadOutput,
            f"Lean REPL sent unparsable output (a frame with no JSON object); first bytes: {_show(frame, 120)}",
            first_bytes=frame[:200],
        )

    def _on_eof(self) -> None:
        """stdout closed: wait for the exit, then say how it died."""
        status = self._exit_status(wait=EXIT_GRACE)
        head = bytes(self._buf[:200]) or None
        if self._cancelled:
            raise _Fault(ReplInterrupted, "Lean REPL interrupted (cancelled) while running a request")
        if status is None:
            raise _Fault(ReplExited, "Lean REPL closed its stdout but kept running", stdout_head=head)
        self._join_stderr()
        oom = self._oom_cause(status, head)
        if oom:
            raise _Fault(
                ReplOutOfMemory, oom, returncode=status, signal=-status if status < 0 else None, stdout_head=head
            )
        if status < 0:
            raise _Fault(
                ReplKilled,
                f"Lean REPL killed by signal {_signal_name(-status)}",
                returncode=status,
                signal=-status,
                stdout_head=head,
            )
        raise _Fault(ReplExited, f"Lean REPL exited with code {status}", returncode=status, stdout_head=head)

    def _join_stderr(self) -> None:
        # The last stderr lines ("uncaught exception: ...") are the useful ones; give the
        # drain thread a moment to reach EOF before we quote them.
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=0.5)

    def _oom_cause(self, status: int, head: bytes | None) -> str | None:
        limit = self.config.memory_limit_mb
        if not limit:
            return None
        sig = -status if status < 0 else (status - 128 if status > 128 else None)  # lake reports 128+N
        by_signal = sig in _OOM_SIGNALS
        err = self._stderr.text().lower()
        # Under a memory limit, a REPL that exits with no answer and any word of memory on
        # stderr hit the limit: allocation failures are worded in many ways.
        by_text = status > 0 and not head and (says_out_of_memory(err) or "memory" in err)
        if not (by_signal or by_text):
            return None
        how = f"killed by signal {_signal_name(sig)}" if by_signal and sig else f"exited with code {status}"
        return f"Lean REPL out of memory (limit {limit} MiB): {how}; raise LEAN_MEMORY_LIMIT_MB or unset it"

    def _fail(self, fault: _Fault) -> None:
        failed_generation = self.generation
        self._kill_and_reap()
        tail = self._stderr.text()
        restarted, restart_error = False, None
        try:
            self._spawn()
            restarted = True
        except ReplFailure as exc:
            restart_error = str(exc)
        except KeyboardInterrupt:
            restart_error = "interrupted"
        raise fault.cls(
            fault.cause,
            stderr_tail=tail,
            restarted=restarted,
            restart_error=restart_error,
            generation=failed_generation,
            **fault.attrs,
        ) from fault.original

    # ------------------------------------------------------------------ memory

    def rss_bytes(self) -> int | None:
        """Resident memory of the REPL's process group (lake and repl), best effort."""
        proc = self._proc
        if proc is None:
            return None
        pgid = proc.pid
        total = 0
        found = False
        try:
            entries = os.listdir("/proc")
        except OSError:
            return None
        for name in entries:
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    stat = f.read()
                # comm may hold spaces and parentheses: fields resume after the last ')'.
                fields = stat[stat.rindex(b")") + 2 :].split()
                if int(fields[2]) != pgid:  # state, ppid, pgrp
                    continue
                with open(f"/proc/{name}/status", "rb") as f:
                    for line in f:
                        if line.startswith(b"VmRSS:"):
                            total += int(line.split()[1]) * 1024
                            found = True
                            break
            except (OSError, ValueError, IndexError):
                continue
        return total if found else None


def release_memory() -> None:
    """Give freed heap memory back to the system. glibc keeps freed blocks for reuse, so
    after a few 20 MB answers the kernel stayed hundreds of MB big although it held none
    of them. Best effort: a no-op where there is no glibc."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None


def _secs(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}"
