"""The Lean text the verifier sends (the statement probe, the checks on the candidate's
env), built from tagged pieces so that every message of the answer can be traced to the
piece it is about, and the reading of the printouts that come back."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lean_kernel.lean_text import IDENT
from lean_kernel.protocol import CommandResponse, Message

from .scan import RESERVED_MARKERS
from .statement import Statement, StatementDecl

CHECK_PREFIX = "stmt__verify"


@dataclass
class Segment:
    first: int  # line numbers in the command text, 1-based, inclusive
    last: int
    tag: str
    decl: str | None = None


class Script:
    """Lean text built from pieces, remembering which lines each piece occupies."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.segments: list[Segment] = []
        self.line = 1

    def add(self, text: str, tag: str, decl: str | None = None) -> None:
        text = text.rstrip("\n")
        lines = text.count("\n") + 1
        self.segments.append(Segment(self.line, self.line + lines - 1, tag, decl))
        self.parts.append(text)
        self.line += lines

    @property
    def text(self) -> str:
        return "\n".join(self.parts)

    def segment_of(self, message: Message) -> Segment | None:
        line = message.pos.line if message.pos else None
        if line is None:
            return None
        for seg in self.segments:
            if seg.first <= line <= seg.last:
                return seg
        return None

    def messages(self, response: CommandResponse, tag: str, decl: str | None = None) -> list[Message]:
        out = []
        for m in response.messages:
            seg = self.segment_of(m)
            if seg is not None and seg.tag == tag and (decl is None or seg.decl == decl):
                out.append(m)
        return out

    def infos(self, response: CommandResponse, tag: str, decl: str | None = None) -> list[str]:
        return [m.data for m in self.messages(response, tag, decl) if m.severity == "info"]

    def errors(self, response: CommandResponse, tag: str, decl: str | None = None) -> list[Message]:
        return [m for m in self.messages(response, tag, decl) if m.is_error]


def root(name: str) -> str:
    return "_root_." + name


def universe_params(decl: StatementDecl) -> str:
    """Universe parameters for a check about ``decl``: as many as its copy has, under names
    of our own (``u__verify_k``), so they cannot collide with a ``universe u`` the
    candidate left in scope ("a universe level named 'u' has already been declared")."""
    names = [f"u{RESERVED_MARKERS[1]}_{k}" for k in range(1, len(decl.universes) + 1)]
    return ".{" + ", ".join(names) + "}" if names else ""


def _statement_prints(script: Script, stmt: Statement) -> None:
    """The printouts that must agree between the clean env and the candidate's env."""
    for d in stmt.decls:
        script.add(f"set_option pp.all true in #check @{root(d.copy)}", "stmt_type", d.name)
        if d.is_definition and not d.free:
            script.add(f"set_option pp.all true in #print {root(d.copy)}", "stmt_value", d.name)


def clean_probe(stmt: Statement) -> Script:
    """The statement, its renamed copy, and the reference printouts, on a clean env."""
    script = Script()
    script.add(stmt.text, "statement")
    script.add(stmt.copy_text, "copy")
    for d in stmt.decls:
        script.add(f"#print {root(d.copy)}", "stmt_print", d.name)
    _statement_prints(script, stmt)
    return script


def candidate_checks(stmt: Statement) -> Script:
    """Run on the candidate's env: the renamed copy, the printouts to compare, and the
    checks of each statement declaration against the candidate's."""
    script = Script()
    script.add(stmt.copy_text, "copy")
    _statement_prints(script, stmt)
    for i, d in enumerate(stmt.decls, 1):
        script.add(f"set_option pp.proofs false in #print {root(d.name)}", "kind", d.name)
        # pp.fullNames: `#print axioms` prints names relative to the open namespaces (its
        # message is a MessageData of names), so `open Classical` would print `choice`.
        script.add(f"set_option pp.fullNames true in #print axioms {root(d.name)}", "axioms", d.name)
        us = universe_params(d)
        # Why this shape (each point is a way the obvious `theorem _ : A = B := rfl` goes wrong):
        # - `def`, with a type in `Type` (PLift of the proposition), not a theorem: Lean turns
        #   the universe metavariables left in a theorem's (or, in newer Lean, any Prop-typed
        #   declaration's) header into fresh parameters before the body is elaborated, so the
        #   candidate's universes (`@x` gets `x.{?v}`) could never be unified with the
        #   statement's and every universe-polymorphic candidate would fail.
        # - `HEq`, not `=`: `A = B` elaborates B against A's type, and where they differ Lean
        #   tries a coercion, which the candidate may have declared (`Coe Type (Type 1)`).
        #   HEq takes each side with its own type; there is nothing to coerce.
        # - `by apply HEq.refl`: unification of `HEq ?a ?a` with the goal, a bare defeq test.
        #   A proof term (`rfl`, `exact HEq.rfl`) goes through `ensureHasType`, which may again
        #   insert a coercion of the candidate's (a `Coe` instance nobody checks the axioms of).
        # - `noncomputable`: nothing to compile. The kernel re-checks `HEq.refl A : HEq A B`.
        script.add(
            f"noncomputable def {root(f'{CHECK_PREFIX}_type_{i}')}{us} : "
            f"PLift (HEq (type_of% @{root(d.copy)}{us}) (type_of% @{root(d.name)})) := PLift.up (by apply HEq.refl)",
            "type",
            d.name,
        )
        if d.is_definition and not d.free:
            script.add(
                f"noncomputable def {root(f'{CHECK_PREFIX}_value_{i}')}{us} : "
                f"PLift (HEq @{root(d.copy)}{us} @{root(d.name)}) := PLift.up (by with_unfolding_all apply HEq.refl)",
                "value",
                d.name,
            )
    return script


_PRINT_HEAD = re.compile(
    r"^(?:@\[[^\]]*\]\s*)?(?:(?:unsafe|partial|private|protected|meta|noncomputable)\s+)*"
    r"(?P<kind>Quotient primitive|[a-z]+)\s+(?P<name>(?:«[^»]*»|[^\s«])+?)(?:\.\{(?P<us>[^}]*)\})?\s*:",
)


def parse_print_header(text: str) -> tuple[str, list[str]] | None:
    """(kind, universe parameters) from the first line of a ``#print`` answer."""
    m = _PRINT_HEAD.match(text.strip())
    if not m:
        return None
    us = [u.strip() for u in (m.group("us") or "").split(",") if u.strip()]
    return m.group("kind"), us


# `#check @c` prints `@c.{u_1, u_2} : type`: the names are the fresh parameters
# `levelMVarToParam` chose (u_1, u_2..., skipping names in scope: a candidate's leftover
# `universe u_1` shifts them), so they are renamed by position before comparing.
_CHECK_HEAD_UNIVERSES = re.compile(r"^@?\S+?\.\{([^}]*)\}\s*:")


def normalise(text: str) -> str:
    """A printout as compared: line breaks (the formatter's, by width) collapsed, and the
    universe parameters of a ``#check`` renamed by position (υ1, υ2...)."""
    text = " ".join(text.split())
    m = _CHECK_HEAD_UNIVERSES.match(text)
    if not m:
        return text
    names = {u.strip(): f"υ{k}" for k, u in enumerate(m.group(1).split(","), 1) if IDENT.fullmatch(u.strip())}
    return IDENT.sub(lambda w: names.get(w.group(0), w.group(0)), text)
