"""Getting Lean onto a machine: what ``lean-kernel setup`` and ``lean-kernel bundle`` do.

- ``versions`` (in lean_kernel) names Lean versions the way each tool wants them.
- ``tools`` runs elan, git and lake, streams what they print, and turns a failure into
  the problem and its fix.
- ``prepare`` installs a toolchain with elan, builds the REPL at its Lean version's tag,
  and prepares a Mathlib project (or checks the user's own); each step is skipped when
  it was already done.
- ``bundle`` copies a prepared installation into one folder for offline machines, with
  ``manifest`` describing it so ``lean_magic.setup()`` can tell an incomplete upload.
- ``demo`` starts JupyterLab on the tour notebook, replaying recorded Lean sessions.

Nothing here runs at import, and nothing downloads anything except the explicit setup
steps (elan, git clone, ``lake exe cache get``). ``lean_kernel.cli`` is the frontend.
"""
