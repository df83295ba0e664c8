"""Lean 4 in Jupyter: the kernel (``lean_kernel.kernel``) and the layers it shares with
the ``lean_magic`` extension (process, protocol, session, render). CONTRIBUTING.md maps
the modules."""

# The one place the version is written: pyproject.toml reads it from here, and the kernel
# and lean_magic re-export it.
__version__ = "0.1.0"
