"""What a verification returns: named findings, the verdict, and its receipt."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from lean_kernel.protocol import Message
from lean_kernel.render import render_verdict
from lean_kernel.results import CellResult

REASONS: dict[str, str] = {
    "compile_error": "the candidate does not compile",
    "missing_declaration": "a declaration of the statement is missing from the candidate",
    "kind_mismatch": "a declaration has another kind than in the statement (e.g. def for theorem)",
    "type_mismatch": "a declaration's type differs from the statement's",
    "value_mismatch": "a definition's value differs from the statement's",
    "statement_changed": "after the candidate, the statement's text means something else",
    "sorry": "the candidate uses sorry outside the permitted declarations",
    "sorryAx": "a checked declaration depends on sorryAx",
    "disallowed_axiom": "a checked declaration depends on an axiom outside the allowed set",
    "new_axiom": "the candidate declares an axiom",
    "implemented_by": "the candidate uses @[implemented_by]",
    "extern": "the candidate uses @[extern]",
    "unsafe_option": "the candidate sets an option that switches checks off",
    "open_private": "the candidate uses `open private`",
    "metaprogramming": "the candidate defines or runs metaprograms",
    "native_reduction": "the candidate uses Lean.reduceBool / Lean.reduceNat (compiled code trusted by the kernel, no axiom recorded)",
    "hidden_messages": "the candidate hides Lean's messages (#guard_msgs)",
    "notation_clash": "a notation of the candidate spells a word the verifier's own checks use",
    "redefined_statement_name": "the candidate redefines or shadows a statement name",
    "extra_import": "the candidate imports a module the statement does not",
    "disallowed_command": "Lean ran a command (possibly made by a macro) outside the verifier's allowlist",
    "candidate_too_large": "the candidate is larger than the verifier accepts (max_candidate_bytes)",
    "check_not_run": "a check could not run, so the candidate cannot be vouched for",
    "verifier_self_check_failed": "the verifier's controls misbehaved on this Lean process: no verdict from it is trusted",
    "statement_error": "the statement itself cannot be checked",
    "timeout": "the verification ran out of time",
    "repl_failure": "the REPL failed or refused a request",
    "internal_error": "the verifier failed (a bug; the message says where)",
}

# The checks a receipt accounts for, in the order they run.
CHECKS = ("scan", "command_allowlist", "types", "values", "sorries", "axioms", "self_check")
# States of a check. Only "passed" and "not_applicable" let a verdict be okay.
PASSED, FAILED, NOT_RUN, NOT_APPLICABLE = "passed", "failed", "not_run", "not_applicable"


@dataclass
class ToolMessage:
    """One finding of the verifier: a named ``reason`` (see REASONS) and what it means here."""

    reason: str
    message: str
    declaration: str | None = None
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "message": self.message,
            "declaration": self.declaration,
            "severity": self.severity,
        }

    def __str__(self) -> str:
        where = f" [{self.declaration}]" if self.declaration else ""
        return f"{self.reason}{where}: {self.message}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Receipt:
    """What a verdict rests on: which Lean answered, about which texts, and which checks
    ran. JSON-serialisable through ``to_dict``."""

    lean_version: str | None = None  # Lean.versionString, asked from the REPL process
    repl_toolchain: str | None = None  # the project's lean-toolchain, when there is one
    header: str = ""  # the import header the candidate ran on
    statement_sha256: str = ""
    candidate_sha256: str = ""
    axioms: dict[str, list[str]] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=lambda: {c: NOT_RUN for c in CHECKS})

    def mark(self, check: str, state: str) -> None:
        # A failure sticks: a later "passed" for another part of the same check cannot undo it.
        if self.checks.get(check) != FAILED:
            self.checks[check] = state

    @property
    def complete(self) -> bool:
        return all(state in (PASSED, NOT_APPLICABLE) for state in self.checks.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "lean_version": self.lean_version,
            "repl_toolchain": self.repl_toolchain,
            "header": self.header,
            "statement_sha256": self.statement_sha256,
            "candidate_sha256": self.candidate_sha256,
            "axioms": {k: list(v) for k, v in self.axioms.items()},
            "checks": dict(self.checks),
        }


@dataclass
class VerificationResult:
    okay: bool
    lean_messages: list[Message] = field(default_factory=list)  # the candidate's own messages
    tool_messages: list[ToolMessage] = field(default_factory=list)
    failed_declarations: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(
        default_factory=dict
    )  # seconds: scan, statement, self_check, candidate, checks, total
    axioms: dict[str, list[str]] = field(default_factory=dict)  # checked declaration -> its axioms
    declarations: list[str] = field(default_factory=list)  # the statement's declarations, full names
    candidate: CellResult | None = None  # the candidate's run, raw (its infotree dropped)
    receipt: Receipt = field(default_factory=Receipt)

    @property
    def reasons(self) -> list[str]:
        """The distinct reasons of the errors found, in the order first found."""
        seen: list[str] = []
        for m in self.tool_messages:
            if m.severity == "error" and m.reason not in seen:
                seen.append(m.reason)
        return seen

    def add(self, reason: str, message: str, declaration: str | None = None) -> None:
        self.tool_messages.append(ToolMessage(reason, message, declaration))

    def to_dict(self) -> dict[str, Any]:
        return {
            "okay": self.okay,
            "lean_messages": [m.to_json() for m in self.lean_messages],
            "tool_messages": [m.to_dict() for m in self.tool_messages],
            "failed_declarations": list(self.failed_declarations),
            "timings": dict(self.timings),
            "axioms": {k: list(v) for k, v in self.axioms.items()},
            "declarations": list(self.declarations),
            "reasons": self.reasons,
            "receipt": self.receipt.to_dict(),
        }

    def __repr__(self) -> str:
        state = "okay" if self.okay else "REJECTED: " + ", ".join(self.reasons)
        return f"<VerificationResult {state}>"

    def summary(self) -> str:
        if self.okay:
            return "verified: " + ", ".join(self.declarations)
        return "\n".join(str(m) for m in self.tool_messages if m.severity == "error")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, object]:
        return render_verdict(self.to_dict())
