"""The candidates benchmarks/bench_scan.py scans (shared with the scan's linearity test):
an honest-looking file of tactic proofs and hostile shapes, each a function of the size in
characters. The hostile ones are the densest forms of what the lexer reads: a wall of one
banned word, interpolations nested as deep as the size allows (with text and without),
a string, a line comment or a char literal every few characters, primes and literals
mixed, nested comments."""

from __future__ import annotations

PROOF = (
    "/-- A lemma about {n}. -/\n"
    "theorem t{n} (a b : Nat) (h₁ : a ≤ b) (h' : b ≤ a) : a = b := by\n"
    "  -- antisymmetry, then clean up\n"
    "  have key : a = b := Nat.le_antisymm h₁ h'\n"
    "  simp [key] at *\n"
    '  all_goals first | rfl | exact key | omega -- "done"\n\n'
)
SHAPES = {
    "honest proofs": lambda size: "".join(PROOF.format(n=i) for i in range(size // len(PROOF) + 1))[:size],
    "wall of axioms": lambda size: ("axiom cheat : False\n" * (size // 20 + 1))[:size],
    "nested s! strings": lambda size: 's!"{' * (size // 8) + '}"' * (size // 8),
    "primes and chars": lambda size: ("f 2'\"' x' h'' '' r#\"a\"# «b»\n" * (size // 30 + 1))[:size],
    "nested comments": lambda size: "/-" * (size // 4) + "-/" * (size // 4),
    "short strings": lambda size: ('x "a" ' * (size // 6 + 1))[:size],
    "line comments": lambda size: ("-- c\n" * (size // 5 + 1))[:size],
    "char literals": lambda size: ("'a' " * (size // 4 + 1))[:size],
    "nested s! with text": lambda size: 's!"a{' * (size // 10) + '}b"' * (size // 10),
    "densest nesting": lambda size: '!"{' * (size // 5) + '}"' * (size // 5),
}
