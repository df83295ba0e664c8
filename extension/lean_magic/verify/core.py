"""``verify``: the order of the checks, the REPL requests, the time budget."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

from lean_kernel.config import CONFIGURED, Configured
from lean_kernel.doctor import read_toolchain
from lean_kernel.lean_text import read_header, summary_line
from lean_kernel.protocol import CommandResponse, shift_lines
from lean_kernel.results import CellResult
from lean_kernel.session import FRESH, EnvArg, LeanSession

from .judge import NO_PRINTOUT, Evidence, judge, judge_sorries, single_info
from .lean_checks import (
    CONTROL_STATEMENT,
    CONTROLS,
    DEFAULT_ALLOWED_AXIOMS,
    FAULTS,
    SELF_CHECKS,
    VERSION_QUERY,
    SelfCheck,
    check_commands,
    judge_control,
    parse_version,
)
from .result import FAILED, NOT_APPLICABLE, NOT_RUN, PASSED, Receipt, ToolMessage, VerificationResult, sha256
from .scan import DEFAULT_MAX_CANDIDATE_BYTES, scan_candidate
from .script import Script, candidate_checks, clean_probe, parse_print_header
from .statement import Statement, StatementCache, StatementError, parse_statement


class _Budget:
    """A verification's time limit, over all its requests (None: no budget of its own)."""

    def __init__(self, timeout: float | None) -> None:
        self.deadline = None if timeout is None else time.monotonic() + timeout

    def left(self) -> float | Configured:
        """Seconds left, or CONFIGURED without a budget: each request then gets the
        session's configured limit."""
        if self.deadline is None:
            return CONFIGURED
        return self.deadline - time.monotonic()


class _Abort(Exception):
    def __init__(self, message: ToolMessage) -> None:
        super().__init__(message.message)
        self.tool_message = message


def _fault(result: CellResult, what: str) -> ToolMessage | None:
    """A REPL fault or refusal during ``what`` as a tool message, else None."""
    if result.failure is not None:
        reason = "timeout" if result.failure_kind == "ReplTimeout" else "repl_failure"
        return ToolMessage(reason, f"{what}: {result.failure_kind}: {result.failure.splitlines()[0]}")
    if result.repl_error is not None:
        return ToolMessage("repl_failure", f"{what}: the REPL refused the request: {result.repl_error}")
    if not isinstance(result.response, CommandResponse):
        return ToolMessage("repl_failure", f"{what}: the REPL gave no command answer")
    return None


@dataclass
class Reference:
    types: dict[str, str]  # decl -> normalised pp.all #check of its copy
    values: dict[str, str]  # non-free definitions -> normalised pp.all #print of the copy


def read_clean_probe(stmt: Statement, probe: Script, clean: CellResult) -> Reference:
    response = clean.command
    assert response is not None
    for tag, what in (
        ("statement", "the statement does not compile"),
        ("copy", "the verifier's renamed copy of the statement does not compile"),
    ):
        errors = probe.errors(response, tag)
        if errors:
            detail = "; ".join(summary_line(e.data, 200, lines="all") for e in errors[:3])
            raise _Abort(ToolMessage("statement_error", f"{what}: {detail}"))
    for d in stmt.decls:
        infos = probe.infos(response, "stmt_print", d.name)
        parsed = parse_print_header(infos[0]) if infos else None
        if parsed is None:
            raise _Abort(
                ToolMessage(
                    "statement_error",
                    f"could not find `{d.name}` after elaborating the statement (is the name right?)",
                    d.name,
                )
            )
        d.lean_kind, d.universes = parsed
    ref = Reference({}, {})
    for d in stmt.decls:
        ref.types[d.name] = single_info(probe, response, "stmt_type", d.name)
        if d.is_definition and not d.free:
            ref.values[d.name] = single_info(probe, response, "stmt_value", d.name)
    for printed in list(ref.types.values()) + list(ref.values.values()):
        if printed.startswith(NO_PRINTOUT):
            raise _Abort(
                ToolMessage("statement_error", f"printing the statement failed: {printed[len(NO_PRINTOUT) :]}")
            )
    return ref


# The controls' statement probes hold no env ids: one cache serves every process.
_CONTROL_CACHE = StatementCache()


@dataclass
class Options:
    permitted: set[str]
    allowed: set[str]
    allow_native: bool
    max_candidate_bytes: int
    allowed_commands: tuple[str, ...]
    self_check: bool = True


class Verification:
    """One verification: ``run`` performs the checks in order and returns the verdict."""

    def __init__(
        self,
        session: LeanSession,
        statement: str,
        candidate: str,
        options: Options,
        budget: _Budget,
        cache: StatementCache | None,
    ) -> None:
        self.session = session
        self.statement_text = statement
        self.candidate = candidate
        self.options = options
        self.budget = budget
        self.cache = cache
        self.result = VerificationResult(okay=False)
        self.result.receipt = Receipt(statement_sha256=sha256(statement), candidate_sha256=sha256(candidate))
        self.started = time.monotonic()

    # ------------------------------------------------------------------ the order of the checks

    def run(self) -> VerificationResult:
        if not self.options.self_check:
            self.result.receipt.mark("self_check", NOT_APPLICABLE)  # this is a control
        try:
            stmt = self._statement()
            if stmt is None or not self._scan(stmt):
                return self._finish()
            reference = self._timed("statement", lambda: self._reference(stmt))
            header = self._header(stmt)
            if self.options.self_check:
                self._timed("self_check", lambda: self._self_check(header))
            response = self._timed("candidate", lambda: self._run_candidate(stmt))
            if response is None:
                return self._finish()
            self._timed("checks", lambda: self._checks(stmt, reference, response))
        except _Abort as abort:
            self.result.tool_messages.append(abort.tool_message)
        return self._finish()

    def _timed(self, what: str, step):
        t0 = time.monotonic()
        try:
            return step()
        finally:
            self.result.timings[what] = time.monotonic() - t0

    def _finish(self) -> VerificationResult:
        r = self.result
        r.timings["total"] = time.monotonic() - self.started
        r.receipt.axioms = {k: list(v) for k, v in r.axioms.items()}
        errors = [m for m in r.tool_messages if m.severity == "error"]
        # okay needs both: nothing found, and every check actually ran.
        r.okay = not errors and r.receipt.complete
        if not errors and not r.receipt.complete:
            missing = [c for c, s in r.receipt.checks.items() if s == NOT_RUN]
            r.add("check_not_run", "these checks did not run: " + ", ".join(missing))
        r.failed_declarations = list(
            dict.fromkeys(m.declaration for m in r.tool_messages if m.declaration and m.severity == "error")
        )
        return r

    # ------------------------------------------------------------------ text

    def _statement(self) -> Statement | None:
        cached = self.cache.get(self.statement_text) if self.cache is not None else None
        try:
            stmt = cached[0] if cached else parse_statement(self.statement_text)
        except StatementError as exc:
            self.result.add("statement_error", str(exc))
            return None
        self.result.declarations = [d.name for d in stmt.decls]
        return stmt

    def _scan(self, stmt: Statement) -> bool:
        """The text scan; False when nothing more is worth asking Lean."""
        size = len(self.candidate.encode("utf-8"))
        if size > self.options.max_candidate_bytes:
            self.result.add(
                "candidate_too_large",
                f"the candidate has {size} bytes, more than max_candidate_bytes={self.options.max_candidate_bytes}",
            )
            return False
        own_imports = bool(read_header(self.candidate).modules)
        imports = stmt.imports if (own_imports or not stmt.header) else None
        found = self._timed("scan", lambda: scan_candidate(self.candidate, [d.name for d in stmt.decls], imports))
        self.result.tool_messages.extend(found)
        self.result.receipt.mark("scan", FAILED if found else PASSED)
        left = self.budget.left()
        if left is not CONFIGURED and left <= 0:
            raise _Abort(ToolMessage("timeout", "the text scan used up the time budget"))
        # Another module set: the statement's meaning there is unknown. Stop here.
        return not any(m.reason == "extra_import" for m in found)

    def _header(self, stmt: Statement) -> str:
        own = read_header(self.candidate)
        header = own.text if own.modules else stmt.header
        self.result.receipt.header = header
        self.result.receipt.repl_toolchain = read_toolchain(self.session.config.project_dir)
        return header

    # ------------------------------------------------------------------ Lean

    def _request(
        self, text: str, env: EnvArg, what: str, *, on_env: bool = False, infotree: str | None = None
    ) -> CellResult:
        """One request within the budget. ``on_env``: run ``text`` as is on ``env`` (a query);
        else as a cell, whose imports the session runs (or reuses) first."""
        left = self.budget.left()
        if left is not CONFIGURED and left <= 0:
            raise _Abort(ToolMessage("timeout", f"{what}: no time left"))
        if on_env:
            result = self.session.query(text, env=env, timeout=left)
        else:
            result = self.session.run_cell(text, env=env, commit=False, timeout=left, infotree=infotree)
        fault = _fault(result, what)
        if fault is not None:
            raise _Abort(fault)
        return result

    def _reference(self, stmt: Statement) -> Reference:
        cached = self.cache.get(self.statement_text) if self.cache is not None else None
        if cached:
            return cached[1]
        probe = clean_probe(stmt)
        clean = self._request(probe.text, FRESH, "elaborating the statement")
        reference = read_clean_probe(stmt, probe, clean)
        if self.cache is not None:
            self.cache.put(self.statement_text, (stmt, reference))
        return reference

    def _self_check(self, header: str) -> None:
        outcome = SELF_CHECKS.get(self.session, header)
        if outcome is None:
            outcome = run_self_check(self.session, header, self.budget)
            SELF_CHECKS.record(self.session, header, outcome)
        self.result.receipt.lean_version = outcome.lean_version
        if outcome.fault is not None:
            raise _Abort(ToolMessage(outcome.fault.reason, "running the verifier's controls: " + outcome.fault.message))
        if outcome.misbehaved:
            self.result.receipt.mark("self_check", FAILED)
            version = outcome.lean_version or "of unknown version"
            raise _Abort(
                ToolMessage(
                    "verifier_self_check_failed",
                    f"on this REPL process (Lean {version}, header {header or '(none)'!r}) the verifier's control "
                    + "; ".join(outcome.misbehaved)
                    + ": no verdict from this process is trusted (restart it, or report a verifier bug)",
                )
            )
        self.result.receipt.mark("self_check", PASSED)

    def _run_candidate(self, stmt: Statement) -> CommandResponse | None:
        run_text, prepended = self.candidate, 0
        if not read_header(self.candidate).modules and stmt.header:
            # A bare candidate runs on the statement's imports.
            run_text = stmt.header + "\n" + self.candidate
            prepended = stmt.header.count("\n") + 1
        cand = self._request(run_text, FRESH, "running the candidate", infotree="full")
        response = cand.command
        assert response is not None
        if prepended:
            response = shift_lines(response, -prepended)  # type: ignore[assignment]
        self._check_commands(response)
        # The infotree can be megabytes; what the allowlist needed is read, drop the rest.
        response = replace(response, infotree=None)
        cand.response = response
        self.result.candidate = cand
        self.result.lean_messages = list(response.messages)
        if response.errors:
            for e in response.errors:
                where = f" (line {e.pos.line})" if e.pos else ""
                self.result.add("compile_error", summary_line(e.data, 300, lines="all") + where)
            return None
        return response

    def _check_commands(self, response: CommandResponse) -> None:
        check = check_commands(response.infotree, self.options.allowed_commands)
        if not check.ran:
            self.result.add(
                "check_not_run",
                'the REPL\'s answer has no infotree of commands (infotree "full" needs REPL v4.5+), '
                "so which commands Lean ran could not be checked",
            )
            return
        self.result.tool_messages.extend(check.findings)
        self.result.receipt.mark("command_allowlist", FAILED if check.findings else PASSED)

    def _checks(self, stmt: Statement, reference: Reference, response: CommandResponse) -> None:
        sorries = judge_sorries(self.candidate, response, self.options.permitted, self.result)
        script = candidate_checks(stmt)
        assert self.result.candidate is not None
        env = self.result.candidate.env_after  # an accepted command always has one
        answer = self._request(
            script.text, FRESH if env is None else env, "checking the candidate's declarations", on_env=True
        )
        assert answer.command is not None
        o = self.options
        judge(
            Evidence(
                stmt, script, answer.command, reference, o.permitted, o.allowed, o.allow_native, sorries, self.result
            )
        )


def run_self_check(session: LeanSession, header: str, budget: _Budget) -> SelfCheck:
    """Lean's version, then each control verified as a candidate would be."""
    outcome = SelfCheck()
    prefix = header + "\n" if header else ""
    left = budget.left()
    if left is not CONFIGURED and left <= 0:
        outcome.fault = ToolMessage("timeout", "no time left for the verifier's controls")
        return outcome
    asked = session.run_cell(prefix + VERSION_QUERY, env=FRESH, commit=False, timeout=left)
    infos = [m.data for m in asked.infos] if asked.ok else []
    outcome.lean_version = parse_version(infos[-1]) if infos else None
    statement = prefix + CONTROL_STATEMENT
    options = Options(set(), set(DEFAULT_ALLOWED_AXIOMS), False, DEFAULT_MAX_CANDIDATE_BYTES, (), self_check=False)
    for control in CONTROLS:
        verdict = Verification(session, statement, control.candidate, options, budget, _CONTROL_CACHE).run()
        fault = next((m for m in verdict.tool_messages if m.reason in FAULTS), None)
        if fault is not None:
            outcome.fault = ToolMessage(fault.reason, f"control '{control.name}': {fault.message}")
            return outcome
        wrong = judge_control(control, verdict.reasons, verdict.okay)
        if wrong is not None:
            outcome.misbehaved.append(f"'{control.name}' misbehaved: {wrong}")
    return outcome


def verify(
    session: LeanSession,
    formal_statement: str,
    candidate: str,
    *,
    permitted_sorries: Iterable[str] = (),
    allowed_axioms: Iterable[str] = DEFAULT_ALLOWED_AXIOMS,
    allow_native_decide: bool = False,
    timeout: float | None = None,
    cache: StatementCache | None = None,
    max_candidate_bytes: int = DEFAULT_MAX_CANDIDATE_BYTES,
    allowed_commands: Iterable[str] = (),
) -> VerificationResult:
    """Check that ``candidate`` (a Lean file) proves ``formal_statement`` (a Lean file whose
    declarations have ``sorry`` proofs). See the package docstring for what is checked.

    ``timeout``: seconds for the whole verification, the text scan and (on a process's
    first use) the self-check included (default: the session's per-request timeout for
    each request). ``cache``: reuse the statement's clean-env printouts from an earlier
    verification (saves one request). ``allow_native_decide``: accept the axioms of native
    evaluation (native_decide, bv_decide), in both of Lean's encodings.
    ``max_candidate_bytes``: larger candidates are refused (``candidate_too_large``).
    ``allowed_commands``: command elaborators to allow beyond the built-in list (full
    names, as the rejection message prints them). Nothing is committed to ``session``."""
    if not isinstance(formal_statement, str) or not isinstance(candidate, str):
        raise TypeError("formal_statement and candidate must be Lean source text (str)")
    options = Options(
        set(permitted_sorries), set(allowed_axioms), allow_native_decide, max_candidate_bytes, tuple(allowed_commands)
    )
    return Verification(session, formal_statement, candidate, options, _Budget(timeout), cache).run()
