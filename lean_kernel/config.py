"""Where the Lean REPL is and how to start it: one dataclass, read from the environment
in one place, shared by the kernel, the magic and the pool.

When the environment names no REPL (neither LEAN_REPL_PATH nor LEAN_PROJECT), the
settings ``lean-kernel setup`` saved are used: a JSON file holding the same variables
(``$LEAN_KERNEL_CONFIG``, default ``~/.config/lean-kernel/config.json``). So after one
``lean-kernel setup``, ``%%lean`` and ``LeanChecker()`` work in any Python notebook
without exporting anything; a kernelspec carries its own variables and is not affected.
"""

from __future__ import annotations

import enum
import json
import math
import os
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

# Environment variables a user (or a kernelspec) sets. Names are part of the public API.
ENV_REPL_PATH = "LEAN_REPL_PATH"  # the repl binary (or any executable speaking its protocol)
ENV_REPL_ARGS = "LEAN_REPL_ARGS"  # extra arguments, shell-split
ENV_PROJECT = "LEAN_PROJECT"  # a Lean project dir: run `lake env <repl>` there
ENV_LAKE = "LEAN_LAKE_PATH"  # the lake binary, when not on PATH
ENV_TIMEOUT = "LEAN_TIMEOUT"  # seconds per request
ENV_MEMORY_MB = "LEAN_MEMORY_LIMIT_MB"  # RLIMIT_AS for the REPL, in MiB
ENV_EXTRA_ENV = "LEAN_REPL_ENV"  # JSON object of extra variables for the REPL process
ENV_SETTINGS_FILE = "LEAN_KERNEL_CONFIG"  # where `lean-kernel setup` saves its settings
ENV_NOTICE = "LEAN_KERNEL_NOTICE"  # a line the kernel shows above every output (the demo: a replay)
ENV_OUTPUT_LIMIT = "LEAN_OUTPUT_LIMIT"  # what one cell may display, e.g. 1MB, 200k, off

DEFAULT_TIMEOUT = 60.0


# Time limits: two words with one meaning each, in every layer (session, process, doctor).
# Single-member enums, so that mypy narrows ``if limit is NO_LIMIT`` (PEP 484's sentinel idiom).
class NoLimit(enum.Enum):
    """``NO_LIMIT``: wait as long as it takes (what ``0``, ``"off"`` and ``inf`` read as)."""

    NO_LIMIT = "no time limit"


class Configured(enum.Enum):
    """``CONFIGURED``: the limit of the ``ReplConfig`` in use (LEAN_TIMEOUT, ``%timeout``,
    ``LeanChecker(timeout=...)``), looked up when the request is sent."""

    CONFIGURED = "the configured time limit"


NO_LIMIT: Final = NoLimit.NO_LIMIT
CONFIGURED: Final = Configured.CONFIGURED

# A limit a request can be sent with: seconds (finite, > 0) or no limit.
Limit = float | NoLimit
# What a ``timeout=`` of the session, the process or the doctor takes: a Limit, the
# configured one, or any text or number ``parse_timeout`` reads. ``None`` is accepted
# too and always means CONFIGURED ("not given"), as at the public API.
TimeoutArg = float | str | NoLimit | Configured | None
DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024 * 1024


class ConfigError(ValueError):
    """The configuration cannot start a REPL. The message names the setting to fix
    (``setting``, when there is one variable to blame); how a user changes that setting
    is the frontend's to add (``doctor.Advice``)."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


@dataclass
class ReplConfig:
    repl_path: str | None = None
    repl_args: list[str] = field(default_factory=list)
    project_dir: str | None = None
    lake_path: str = "lake"
    # False: run the repl binary itself in project_dir (LEAN_PATH/LEAN_SYSROOT come from
    # env), as an offline bundle does; lake would try to re-elaborate or fetch packages.
    use_lake: bool = True
    env: dict[str, str] = field(default_factory=dict)
    # Seconds per request, or None for no limit: a setting, not an argument, so None is
    # not "the default" here (this is where the default comes from). Read it through
    # ``time_limit``, which says NO_LIMIT.
    timeout: float | None = DEFAULT_TIMEOUT
    startup_timeout: float = 120.0
    memory_limit_mb: int | None = None
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    # Where the settings came from, for the doctor: None (the environment or code), or
    # the settings file `lean-kernel setup` wrote.
    settings_file: str | None = None

    def __post_init__(self) -> None:
        # Checked here too, so that no path (with_changes, a LeanChecker's timeout=)
        # builds a config with a limit no request could honour.
        if self.timeout is not None:
            self.timeout = parse_timeout(self.timeout, what="ReplConfig.timeout")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> ReplConfig:
        """Settings from ``environ``; with no argument, from os.environ, falling back to
        the saved settings file when the environment names no REPL."""
        saved_in = None
        if environ is None:
            environ = os.environ
            if not (environ.get(ENV_REPL_PATH) or environ.get(ENV_PROJECT)):
                saved = read_saved_settings()
                if saved:
                    environ = {**saved, **environ}
                    saved_in = str(settings_path())
        extra_env: dict[str, str] = {}
        if environ.get(ENV_EXTRA_ENV):
            try:
                extra_env = {str(k): str(v) for k, v in json.loads(environ[ENV_EXTRA_ENV]).items()}
            except (ValueError, AttributeError) as exc:
                raise ConfigError(
                    f"{ENV_EXTRA_ENV} must be a JSON object of strings: {exc}", setting=ENV_EXTRA_ENV
                ) from exc
        cfg = cls(
            repl_path=environ.get(ENV_REPL_PATH) or None,
            repl_args=shlex.split(environ.get(ENV_REPL_ARGS, "")),
            project_dir=environ.get(ENV_PROJECT) or None,
            lake_path=environ.get(ENV_LAKE) or "lake",
            env=extra_env,
            timeout=_float_or_none(environ.get(ENV_TIMEOUT), DEFAULT_TIMEOUT, ENV_TIMEOUT),
            memory_limit_mb=_int_or_none(environ.get(ENV_MEMORY_MB), ENV_MEMORY_MB),
            settings_file=saved_in,
        )
        return replace(cfg, **overrides) if overrides else cfg

    @property
    def time_limit(self) -> Limit:
        """The configured limit per request (what CONFIGURED stands for)."""
        return NO_LIMIT if self.timeout is None else self.timeout

    def with_changes(self, **changes) -> ReplConfig:
        return replace(self, **changes)

    @property
    def configured(self) -> bool:
        return bool(self.repl_path or self.project_dir)

    def resolve_repl(self) -> str:
        """The repl executable's full path, or a ConfigError that says how to fix it."""
        if not self.repl_path:
            if self.project_dir:
                # Inside a project, `lake env repl` finds a repl that lake built or put on PATH.
                return "repl"
            raise ConfigError(
                "no Lean REPL configured; set LEAN_REPL_PATH to the repl binary (or LEAN_PROJECT to a Lean project)",
                setting=ENV_REPL_PATH,
            )
        path = Path(self.repl_path).expanduser()
        if path.is_file():
            if not os.access(path, os.X_OK):
                raise ConfigError(
                    f"repl binary at {path} is not executable; run chmod +x {path}", setting=ENV_REPL_PATH
                )
            # Absolute: the REPL runs in the project folder, and a bare name would be
            # looked up on PATH.
            return str(path.absolute())
        found = shutil.which(self.repl_path)
        if found:
            return found
        raise ConfigError(
            f"repl binary not found at {self.repl_path}; set LEAN_REPL_PATH to the repl binary", setting=ENV_REPL_PATH
        )

    def command(self) -> list[str]:
        """argv that starts the REPL: the binary itself, or `lake env <repl>` in a project."""
        repl = self.resolve_repl()
        if self.project_dir and self.use_lake:
            project = Path(self.project_dir).expanduser()
            if not project.is_dir():
                raise ConfigError(f"Lean project folder not found at {project}; set LEAN_PROJECT", setting=ENV_PROJECT)
            lake = shutil.which(self.lake_path) or (self.lake_path if Path(self.lake_path).is_file() else None)
            if lake is None:
                raise ConfigError(
                    f"lake not found ({self.lake_path!r}); put the Lean toolchain's bin folder on PATH "
                    "or set LEAN_LAKE_PATH",
                    setting=ENV_LAKE,
                )
            return [os.path.abspath(lake), "env", repl, *self.repl_args]
        return [repl, *self.repl_args]

    def cwd(self) -> str | None:
        """The REPL resolves `path` and `pickleTo` against its cwd, so run it in the project."""
        return str(Path(self.project_dir).expanduser()) if self.project_dir else None

    def process_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env.update(self.env)
        return env


def settings_path(environ: Mapping[str, str] | None = None) -> Path:
    """The saved-settings file: ``$LEAN_KERNEL_CONFIG``, else
    ``$XDG_CONFIG_HOME/lean-kernel/config.json`` (``~/.config`` by default)."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_SETTINGS_FILE):
        return Path(environ[ENV_SETTINGS_FILE]).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "lean-kernel" / "config.json"


def read_saved_settings(path: Path | None = None) -> dict[str, str]:
    """The variables saved by ``lean-kernel setup`` ({} when there is no file)."""
    path = settings_path() if path is None else path
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the saved settings in {path} ({exc}); run lean-kernel setup again or delete it"
        ) from exc
    env = data.get("env") if isinstance(data, dict) else None
    if not isinstance(env, dict):
        raise ConfigError(f'{path} has no "env" object; run lean-kernel setup again or delete it')
    return {str(k): str(v) for k, v in env.items()}


def write_saved_settings(env: Mapping[str, str], *, about: Mapping[str, str], path: Path | None = None) -> Path:
    """Save ``env`` (LEAN_* variables) for ``from_env`` to fall back on; ``about`` says
    what wrote it (shown by the doctor and kept for people who open the file)."""
    path = settings_path() if path is None else path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({**about, "env": dict(env)}, indent=2) + "\n")
    os.replace(tmp, path)
    return path


# Words that mean "no time limit", wherever a timeout is typed.
NO_LIMIT_WORDS = ("off", "none", "inf", "infinity")


class TimeoutValueError(ConfigError):
    """A timeout that is no duration (negative, nan, not a number). The message names the fix."""


def parse_timeout(value: object, *, what: str = "timeout") -> float | None:
    """The one reading of a time limit, for LEAN_TIMEOUT, ``%timeout``, ``%%lean --timeout``
    and every ``timeout=`` of the API. Returns seconds (a finite float > 0), or None for
    no limit.

    - a positive number (or its text): that many seconds;
    - ``0``, ``inf``, ``"off"`` / ``"none"``: no limit (0 as in GNU ``timeout`` and
      pytest-timeout, so a limit can be switched off with a number);
    - anything else, negative numbers and nan included, raises TimeoutValueError: a
      negative limit would fail every request at once, and nan compares false with
      every deadline, so neither can mean anything.

    ``None`` is not accepted here: at the API it means "the configured default", which
    the caller resolves before asking.
    """
    raw = value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in NO_LIMIT_WORDS:
            return None
        try:
            value = float(text)
        except ValueError:
            raise TimeoutValueError(
                f"{what} must be a number of seconds or 'off', got {raw!r}; e.g. 30, or off for no limit"
            ) from None
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TimeoutValueError(
            f"{what} must be a number of seconds or 'off', got {raw!r}; e.g. 30, or 'off' for no limit"
        )
    value = float(value)
    if math.isnan(value) or value < 0:
        raise TimeoutValueError(f"{what} must be a positive number of seconds (0 or 'off' for no limit), got {raw!r}")
    if value == 0 or math.isinf(value):
        return None
    return value


def read_timeout(value: TimeoutArg, *, what: str = "timeout") -> float | NoLimit | Configured:
    """A ``timeout=`` argument of the session, the process or the doctor, checked (a bad
    value raises TimeoutValueError, before anything is sent): ``None`` and CONFIGURED
    give CONFIGURED, NO_LIMIT and what ``parse_timeout`` reads as no limit give
    NO_LIMIT, anything else its seconds."""
    if value is None or value is CONFIGURED:
        return CONFIGURED
    if value is NO_LIMIT:
        return NO_LIMIT
    seconds = parse_timeout(value, what=what)
    return NO_LIMIT if seconds is None else seconds


def resolve_timeout(value: TimeoutArg, config: ReplConfig, *, what: str = "timeout") -> Limit:
    """The limit to send a request with: ``read_timeout``, CONFIGURED looked up in ``config``."""
    chosen = read_timeout(value, what=what)
    return config.time_limit if chosen is CONFIGURED else chosen


def per_call_timeout(value: object) -> float | None:
    """A ``timeout=`` argument of the API or the magic, checked by ``parse_timeout`` and
    kept as a number for budgets (verify, the pool): None stays None (CONFIGURED, "not
    given"); "no limit" comes back as ``math.inf``, never None. The session and the
    process take these as they are (``read_timeout``)."""
    if value is None:
        return None
    seconds = parse_timeout(value)
    return math.inf if seconds is None else seconds


def describe_timeout(value: float | NoLimit | None) -> str:
    """A limit in words; None is a ReplConfig's "no limit"."""
    if value is None or value is NO_LIMIT or math.isinf(value):
        return "off (no limit)"
    return f"{value:g} s"


DEFAULT_OUTPUT_LIMIT = 1_000_000  # characters a cell may display, all MIME types together
MIN_OUTPUT_LIMIT = 10_000
_SIZE_UNITS = {"": 1, "k": 1000, "kb": 1000, "m": 1_000_000, "mb": 1_000_000, "g": 1_000_000_000, "gb": 1_000_000_000}


def parse_output_limit(value: object, *, what: str = "the output limit") -> int | None:
    """How much one cell may display, in characters (about bytes): a number, or text such
    as ``"1MB"`` / ``"200k"``; ``"off"`` or 0 for no limit (the whole result is sent)."""
    raw = value
    if isinstance(value, str):
        text = value.strip().lower().replace("_", "").replace(",", "")
        if text in NO_LIMIT_WORDS or text == "0":
            return None
        number = text.rstrip("kmgb")
        unit = text[len(number) :]
        try:
            value = float(number) * _SIZE_UNITS[unit]
        except (ValueError, KeyError):
            raise ConfigError(f"{what} must be a size such as 1MB, 500k or 2000000, or off; got {raw!r}") from None
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{what} must be a size such as 1MB, 500k or 2000000, or off; got {raw!r}")
    if value == 0 or (isinstance(value, float) and math.isinf(value)):
        return None
    if not value >= MIN_OUTPUT_LIMIT:  # nan and negatives too
        raise ConfigError(f"{what} must be at least {MIN_OUTPUT_LIMIT:,} characters (or off), got {raw!r}")
    return int(value)


def output_limit_from_env(environ: Mapping[str, str] | None = None) -> int | None:
    raw = (os.environ if environ is None else environ).get(ENV_OUTPUT_LIMIT)
    return DEFAULT_OUTPUT_LIMIT if not raw else parse_output_limit(raw, what=ENV_OUTPUT_LIMIT)


def _float_or_none(raw: str | None, default: float | None, name: str) -> float | None:
    if raw is None or raw == "":
        return default
    return parse_timeout(raw, what=name)


def _int_or_none(raw: str | None, name: str) -> int | None:
    if raw is None or raw == "" or raw.lower() in ("none", "off"):
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number of MiB, got {raw!r}") from exc
