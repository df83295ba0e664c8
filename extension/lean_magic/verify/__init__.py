"""Does a candidate Lean file prove a formal statement? ``verify`` answers like AXLE's
``verify_proof``: ``okay``, the candidate's Lean messages, our own findings (each with a
named reason), the declarations that failed, timings, and a receipt.

    from lean_magic.verify import verify
    result = verify(session, "theorem foo (n : Nat) : n + 0 = n := by sorry",
                    "theorem foo (m : Nat) : m + 0 = m := rfl")
    result.okay, result.reasons, result.to_dict()

Trust model
===========

What is trusted: the Lean kernel and elaborator of the REPL's toolchain, the modules the
statement imports (their declarations, macros and elaborators are taken as they are,
axioms included), and the statement itself (it is the specification; its declarations
are found in its text).

What Lean decides, and how it is asked (REPL requests per candidate: the statement
probe, the candidate with its infotree, one check command; the import header runs once
per process and is cached; the self-check runs once per process and header):

1. The candidate compiles. It runs as one command on a fresh env with its own imports
   (a candidate without imports gets the statement's). Any error message is
   ``compile_error``; the declarations are not checked then.
2. Which commands ran. The candidate runs with the REPL's ``"infotree": "full"``: Lean
   reports every command it elaborated, with the elaborator that handled it, including
   the commands that macros expanded to. Only an allowlist passes (declarations,
   ``namespace``/``section``/``end``, ``open``, ``variable``, ``universe``,
   ``set_option``, ``attribute``, ``include``/``omit``, ``#check``/``#print``/
   ``#reduce``/``#synth``, notations, ``in`` and Mathlib's ``lemma``, whose expansions
   are checked): anything else is ``disallowed_command`` (``#eval``, ``run_cmd``,
   ``elab``, ``syntax``, ``macro_rules``, ``initialize``, ``#guard_msgs``...). Within
   allowed commands Lean's own printing is checked: an ``axiom`` declaration is
   ``new_axiom``; a ``set_option`` (command, tactic or term) of ``UNSAFE_OPTIONS`` is
   ``unsafe_option``; attributes that register code (``CODE_ATTRIBUTES``,
   ``implemented_by``, ``extern``) are findings; and every command a macro made gets
   the text scan (below) on Lean's printing of it. Only the infotree's command
   skeleton is kept; an answer without one fails closed (``check_not_run``).
3. Every declaration of the statement exists in the candidate, with the same kind and
   type, and a definition with the same value; compared on what Lean elaborated:
   - A *renamed copy* of the statement (each declared name ``x`` becomes ``x__stmt``,
     and references to it too, except references to free definitions) is elaborated in
     a clean env and after the candidate. In both, each copied declaration's type
     (``#check`` with ``pp.all``) and a definition's whole ``#print`` with ``pp.all``
     are printed, and must be identical (line breaks collapsed; the universe parameters
     ``#check`` invents, ``u_1, u_2...``, renamed by position, since a candidate's
     leftover ``universe u_1`` shifts them), or the candidate changed what the
     statement's words mean (an instance, a notation, an ``open``, a ``variable``...):
     ``statement_changed``. Conservative: an honest candidate whose leftovers merely
     change how the statement elaborates is rejected too. Equal ``pp.all`` printouts
     are trusted to denote equal terms.
   - In the candidate's env, ``noncomputable def c.{vs} : PLift (HEq (type_of%
     @x__stmt.{vs}) (type_of% @_root_.x)) := PLift.up (by apply HEq.refl)`` is accepted
     exactly when the candidate's ``x`` has the statement's type up to definitional
     equality (the kernel re-checks ``c``), the statement's universe parameters held
     fixed as our own names ``vs`` (a less general candidate fails): ``type_mismatch``.
     A ``def`` over ``PLift`` (not a theorem: Lean would turn the universe
     metavariables into fresh parameters), ``HEq`` and ``apply`` (no coercion of the
     candidate's can be inserted). ``_root_.x`` is the root-level ``x`` whatever the
     candidate's namespaces and ``open``s. ``universe`` names the statement declares
     are renamed in the copy (``u`` to ``u__stmt``).
   - The kind is the first word of ``#print _root_.x`` (theorem, def, axiom...):
     ``kind_mismatch``. ``x`` absent: ``missing_declaration``.
   - A definition's value: ``HEq @x__stmt @_root_.x`` by ``with_unfolding_all apply
     HEq.refl``: ``value_mismatch``. A statement definition whose value is ``sorry``
     (``abbrev answer : ℕ := sorry``) is the candidate's to fill in, and the copy
     refers to the candidate's definition.
4. No ``sorry`` except in ``permitted_sorries``: every sorry Lean reports (warnings and
   ``sorries``) is mapped by position to the declaration it sits in (``sorry``);
   ``sorryAx`` among a checked declaration's axioms is ``sorryAx`` unless all the
   candidate's sorries are in permitted declarations and there is one there. A sorry
   counts as permitted only in a theorem without ``where``/``let rec`` whose sorry
   warning Lean puts on its name.
5. Axioms: ``set_option pp.fullNames true in #print axioms _root_.x`` for every
   statement declaration not in ``permitted_sorries`` (full names: without the option
   Lean prints names relative to the candidate's ``open``s, ``choice`` for
   ``Classical.choice``). Each axiom must be in ``allowed_axioms`` (default
   ``propext``, ``Classical.choice``, ``Quot.sound``): ``disallowed_axiom``.
   ``allow_native_decide=True`` accepts native evaluation (``native_decide``,
   ``bv_decide``, ``decide +native``) in both of Lean's encodings: ``Lean.ofReduceBool``
   / ``Lean.trustCompiler`` before v4.29, one ``<decl>._native.<tactic>.ax_…`` axiom per
   use from v4.29. Lean collects axioms over everything a declaration uses, so helper
   lemmas and macros cannot hide one.
6. The self-check. The first time a REPL process is used with an import header, Lean's
   version is asked (``Lean.versionString``) and controls run through this same
   verifier: an honest proof must be okay, and a ``sorry``, a changed hypothesis, an
   extra axiom and an ``#eval`` must be rejected for ``sorry``, ``type_mismatch``,
   ``disallowed_axiom`` and ``disallowed_command``. If one misbehaves, every verdict on
   that process and header is ``verifier_self_check_failed``, naming the Lean version
   and the control. A control that could not run (timeout, crash) fails this
   verification with that fault and is tried again next time.

What Python decides, in the text (``lean_kernel.lean_text``: Lean's lexical grammar,
nested and doc comments, escapes, interpolated strings with code inside ``{}``, raw
strings, char literals, ``«»`` names; candidates above ``max_candidate_bytes``, default
1 MB, are ``candidate_too_large``). The scan is a fast first filter, never the last line
of defence: which strings are interpolated depends on syntax the lexer cannot know, so
it reads the text three ways (usual contexts, all, none) and any reading's finding
counts. Findings: ``new_axiom``, ``sorryAx`` (written directly), ``implemented_by`` /
``extern`` (compiled code that may differ from the checked definition, which matters
through native evaluation), ``native_reduction`` (``Lean.reduceBool``/``reduceNat``:
the kernel runs compiled code for them and records no axiom), ``unsafe_option``
(``debug.*`` options switch checks off, ``pp.*`` could hide a changed statement,
``warn.sorry`` hides sorry warnings; an option named in code counts too),
``open_private``, ``metaprogramming`` (``run_cmd``, ``#eval``, ``elab``, ``macro``,
``run_tac``, ``by_elab``, simprocs, ``CODE_ATTRIBUTES``, and the API names such code
needs: ``MetaM``, ``modifyEnv``, ``addDeclWithoutChecking``...), ``hidden_messages``
(``#guard_msgs``), ``notation_clash`` (a notation whose token is a word of our own
check commands, ``CHECK_VOCABULARY``), ``redefined_statement_name`` (a statement name
declared in another namespace, used as a notation string, exported, or our reserved
``__stmt``/``__verify`` names), ``extra_import`` (a module the statement does not
import; nothing is sent then). Python also decides which declarations the statement
has (its text, namespaces tracked), maps sorries to declarations by position, and
compares printouts.

Every verdict carries a receipt (``result.receipt``, in ``to_dict()`` and in the
notebook view): Lean and REPL versions, import header, sha256 of statement and
candidate, axioms, and the state of each check (scan, command_allowlist, types, values,
sorries, axioms, self_check). ``okay`` is true only when nothing was found and every
check passed or did not apply: a check that could not run never counts as passed.

What is not checked, or only partly:
- Imported macros and elaborators are trusted with their modules: an imported tactic
  that runs user code at elaboration time (not a command) is seen only by the scan's
  list of metaprogramming names. Attributes reach the allowlist only through Lean's
  printing of the commands that carry them.
- ``permitted_sorries`` trusts Lean's sorry reports (``#guard_msgs`` and
  ``warn.sorry``, which could hide them, are rejected).
- There is no independent re-check of the candidate's env by the kernel (as
  lean4checker does).
- Binder kinds and names are not compared: definitional equality ignores them.
- Statements with ``structure``, ``inductive``, ``class``, ``axiom`` or unnamed
  declarations are refused (``statement_error``), as are ``example``s: name them. A
  statement that builds declarations with its own macros is not supported.
- Faults are reported, not retried: ``timeout`` (the budget ran out) and
  ``repl_failure`` (the REPL crashed or refused a request).
"""

from __future__ import annotations

from .core import verify
from .judge import judge_sorries
from .lean_checks import (
    ALLOWED_ELABORATORS,
    CONTROLS,
    DEFAULT_ALLOWED_AXIOMS,
    NATIVE_DECIDE_AXIOMS,
    SELF_CHECKS,
    check_commands,
    is_native_axiom,
)
from .result import CHECKS, REASONS, Receipt, ToolMessage, VerificationResult
from .scan import (
    CHECK_VOCABULARY,
    CODE_ATTRIBUTES,
    DEFAULT_MAX_CANDIDATE_BYTES,
    METAPROGRAMMING_NAMES,
    METAPROGRAMMING_TOKENS,
    UNSAFE_OPTIONS,
    scan_candidate,
)
from .script import candidate_checks, clean_probe, normalise, parse_print_header
from .statement import Statement, StatementCache, StatementDecl, StatementError, parse_statement

__all__ = [
    "ALLOWED_ELABORATORS",
    "CHECKS",
    "CHECK_VOCABULARY",
    "CODE_ATTRIBUTES",
    "CONTROLS",
    "DEFAULT_ALLOWED_AXIOMS",
    "DEFAULT_MAX_CANDIDATE_BYTES",
    "METAPROGRAMMING_NAMES",
    "METAPROGRAMMING_TOKENS",
    "NATIVE_DECIDE_AXIOMS",
    "REASONS",
    "SELF_CHECKS",
    "UNSAFE_OPTIONS",
    "Receipt",
    "Statement",
    "StatementCache",
    "StatementDecl",
    "StatementError",
    "ToolMessage",
    "VerificationResult",
    "candidate_checks",
    "check_commands",
    "clean_probe",
    "is_native_axiom",
    "judge_sorries",
    "normalise",
    "parse_print_header",
    "parse_statement",
    "scan_candidate",
    "verify",
]
