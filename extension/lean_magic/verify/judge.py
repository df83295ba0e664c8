"""Reading Lean's answers into findings: one function per reason."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lean_kernel.lean_text import Declaration, find_declarations, lex, summary_line
from lean_kernel.protocol import CommandResponse, Pos
from lean_kernel.session import parse_axioms_message

from .lean_checks import NATIVE_DECIDE_AXIOMS, disallowed_axioms, is_native_axiom
from .result import FAILED, NOT_APPLICABLE, PASSED, VerificationResult
from .script import Script, normalise, parse_print_header
from .statement import Statement, StatementDecl

_SORRY_WARNING = re.compile(r"declaration uses .sorry.")
_AUX_CONSTANTS = re.compile(r"(?<![\w'.])(?:where|let\s+rec)(?![\w'!?])")
NO_PRINTOUT = "\x00no printout: "


def single_info(script: Script, response: CommandResponse, tag: str, decl: str) -> str:
    """The one info message of a piece, normalised; a marked text when there is not one."""
    infos = script.infos(response, tag, decl)
    errors = [m.data for m in script.errors(response, tag, decl)]
    if errors or len(infos) != 1:
        return NO_PRINTOUT + normalise(" ".join(errors) or f"{len(infos)} printouts")
    return normalise(infos[0])


def is_permitted(name: str, permitted: set[str]) -> bool:
    return name in permitted or name.split(".")[-1] in permitted


# --------------------------------------------------------------------------- sorries


@dataclass
class Sorries:
    outside: list[str] = field(default_factory=list)  # where the sorries outside permitted declarations are
    inside: int = 0  # sorries in permitted declarations


def _owner(decls: list[Declaration], offset: int) -> Declaration | None:
    owner = None
    for d in decls:
        if d.start <= offset < max(d.end, d.start + 1):
            owner = d
    return owner


def _permitted_sorry_leak(owner: Declaration, offset: int, what: str) -> str | None:
    """Why a sorry in a permitted declaration is not excused, or None when it is.
    Constants made inside a permitted declaration's text carry its sorry under other
    names: `where` / `let rec` (helper.aux), and a definition's nested proofs
    (helper.proof_1). Lean puts a declaration's sorry warning on its name: a warning
    elsewhere is another declaration's, made by a command the text finder does not know
    (Mathlib's `irreducible_def cheat : False := sorry` right after the theorem)."""
    leak = _AUX_CONSTANTS.search(owner.text)
    if leak is not None:
        return f"its `{' '.join(leak.group(0).split())}` makes further constants that could carry it elsewhere"
    if what == "warning" and offset != owner.name_start:
        return "Lean reports it for another declaration inside its text"
    if owner.kind not in ("theorem", "lemma"):
        return f"a {owner.kind}'s nested proofs become constants that could carry it elsewhere"
    return None


def judge_sorries(
    candidate: str, response: CommandResponse, permitted: set[str], result: VerificationResult
) -> Sorries:
    """`sorry`: every sorry Lean reports (warnings and ``sorries``), by the declaration it
    sits in."""
    decls = find_declarations(lex(candidate).code)
    places = [(s.pos.line, s.pos.column, "sorry") for s in response.sorries if s.pos is not None]
    places += [
        (m.pos.line, m.pos.column, "warning")
        for m in response.messages
        if m.pos is not None and _SORRY_WARNING.search(m.data)
    ]
    found = Sorries()
    reported: set[str] = set()
    # The sorries themselves first: their lines are the ones worth reporting.
    for line, column, what in sorted(places, key=lambda p: (p[2] != "sorry", p[0], p[1])):
        offset = Pos(line, column).offset_in(candidate)
        owner = _owner(decls, offset)
        name = owner.full_name if owner is not None else None
        label = name or (f"an {owner.kind}" if owner is not None and owner.kind == "example" else f"line {line}")
        why = f"`sorry` in {label} (line {line})"
        if name is not None and owner is not None and is_permitted(name, permitted):
            leak = _permitted_sorry_leak(owner, offset, what)
            if leak is None:
                found.inside += 1
                continue
            why += f": {leak}"
        found.outside.append(label)
        if label not in reported:
            reported.add(label)
            result.add("sorry", why, name)
    result.receipt.mark("sorries", FAILED if found.outside else PASSED)
    return found


# --------------------------------------------------------------------------- the checks on the candidate's env


@dataclass
class Evidence:
    """What the judges read: the statement, the check command and Lean's answer to it."""

    stmt: Statement
    script: Script
    response: CommandResponse
    reference: object  # core.Reference: the clean env's printouts
    permitted: set[str]
    allowed: set[str]
    allow_native: bool
    sorries: Sorries
    result: VerificationResult

    def add(self, reason: str, message: str, decl: StatementDecl) -> None:
        self.result.add(reason, message, decl.name)


def judge_copy(ev: Evidence) -> bool:
    """`statement_changed`: the renamed copy no longer elaborates after the candidate."""
    errors = ev.script.errors(ev.response, "copy")
    if errors:
        detail = "; ".join(summary_line(e.data, 200, lines="all") for e in errors[:3])
        ev.result.add("statement_changed", f"the statement no longer elaborates after the candidate: {detail}")
    return bool(errors)


def judge_present(ev: Evidence, d: StatementDecl) -> str | None:
    """`missing_declaration`; returns the candidate's `#print` of the declaration."""
    infos = ev.script.infos(ev.response, "kind", d.name)
    if ev.script.errors(ev.response, "kind", d.name) or not infos:
        ev.add("missing_declaration", f"the candidate has no `{d.name}`", d)
        return None
    return infos[0]


def judge_meaning(ev: Evidence, d: StatementDecl) -> bool:
    """`statement_changed`: the statement's printouts differ after the candidate."""
    changed = False
    if single_info(ev.script, ev.response, "stmt_type", d.name) != ev.reference.types[d.name]:  # type: ignore[attr-defined]
        changed = True
        ev.add(
            "statement_changed",
            f"the type of `{d.name}` as stated means something else after the candidate (compare with pp.all)",
            d,
        )
    values = ev.reference.values  # type: ignore[attr-defined]
    if d.name in values and single_info(ev.script, ev.response, "stmt_value", d.name) != values[d.name]:
        changed = True
        ev.add("statement_changed", f"the value of `{d.name}` as stated means something else after the candidate", d)
    return changed


def judge_kind(ev: Evidence, d: StatementDecl, printed: str) -> None:
    """`kind_mismatch`: theorem for theorem, def for def..."""
    parsed = parse_print_header(printed)
    kind = parsed[0] if parsed else "?"
    if kind != d.lean_kind:
        ev.add("kind_mismatch", f"`{d.name}` is a {kind} in the candidate but a {d.lean_kind} in the statement", d)


def judge_type(ev: Evidence, d: StatementDecl) -> None:
    """`type_mismatch`: the candidate's type is not the statement's up to defeq."""
    errors = ev.script.errors(ev.response, "type", d.name)
    if errors:
        ev.add(
            "type_mismatch",
            f"the type of `{d.name}` differs from the statement's: {summary_line(errors[0].data, 400, lines='all')}",
            d,
        )
    ev.result.receipt.mark("types", FAILED if errors else PASSED)


def judge_value(ev: Evidence, d: StatementDecl) -> None:
    """`value_mismatch`: a (non-free) definition's value is not the statement's."""
    if d.name not in ev.reference.values:  # type: ignore[attr-defined]
        return
    errors = ev.script.errors(ev.response, "value", d.name)
    if errors:
        ev.add(
            "value_mismatch",
            f"the value of `{d.name}` differs from the statement's: {summary_line(errors[0].data, 400, lines='all')}",
            d,
        )
    ev.result.receipt.mark("values", FAILED if errors else PASSED)


def read_axioms(ev: Evidence, d: StatementDecl) -> list[str] | None:
    """The declaration's axioms, from `#print axioms` (`repl_failure` when Lean gave none)."""
    axioms = None
    for data in ev.script.infos(ev.response, "axioms", d.name):
        axioms = parse_axioms_message(data)
    if axioms is None:
        ev.add("repl_failure", f"no `#print axioms` answer for `{d.name}`", d)
        ev.result.receipt.mark("axioms", FAILED)
        return None
    ev.result.axioms[d.name] = axioms
    return axioms


def judge_sorry_axiom(ev: Evidence, d: StatementDecl, axioms: list[str]) -> None:
    """`sorryAx`: excused only when every sorry of the candidate sits in a permitted
    declaration and there is one there for it to come from."""
    if "sorryAx" in axioms and (ev.sorries.outside or not ev.sorries.inside):
        ev.add("sorryAx", f"`{d.name}` depends on sorryAx", d)
        ev.result.receipt.mark("axioms", FAILED)


def judge_axioms(ev: Evidence, d: StatementDecl, axioms: list[str]) -> None:
    """`disallowed_axiom`: an axiom outside the allowed set (native evaluation axioms of
    both encodings are allowed with allow_native_decide)."""
    bad = disallowed_axioms(axioms, ev.allowed, ev.allow_native)
    for a in bad:
        hint = (
            " (native evaluation: native_decide/bv_decide; pass allow_native_decide=True to accept it)"
            if is_native_axiom(a)
            else ""
        )
        ev.add("disallowed_axiom", f"`{d.name}` depends on the axiom {a}{hint}", d)
    ev.result.receipt.mark("axioms", FAILED if bad else PASSED)


def judge_declaration(ev: Evidence, d: StatementDecl, copy_broken: bool) -> None:
    printed = judge_present(ev, d)
    if printed is None:
        ev.result.receipt.mark("types", FAILED)
        return
    changed = judge_meaning(ev, d)
    judge_kind(ev, d, printed)
    if changed or copy_broken:
        ev.result.receipt.mark("types", FAILED)
    else:
        judge_type(ev, d)
        judge_value(ev, d)
    if is_permitted(d.name, ev.permitted):
        return
    axioms = read_axioms(ev, d)
    if axioms is not None:
        judge_sorry_axiom(ev, d, axioms)
        judge_axioms(ev, d, axioms)


def judge(ev: Evidence) -> None:
    copy_broken = judge_copy(ev)
    if not any(d.name in ev.reference.values for d in ev.stmt.decls):  # type: ignore[attr-defined]
        ev.result.receipt.mark("values", NOT_APPLICABLE)
    if all(is_permitted(d.name, ev.permitted) for d in ev.stmt.decls):
        ev.result.receipt.mark("axioms", NOT_APPLICABLE)
    for d in ev.stmt.decls:
        judge_declaration(ev, d, copy_broken)


__all__ = ["NATIVE_DECIDE_AXIOMS", "Evidence", "Sorries", "judge", "judge_sorries"]
