"""The README's trust model is the verify package's docstring, copied: the two must not
drift apart. The check is textual (``code`` in the docstring is `code` in the README)."""

from __future__ import annotations

from pathlib import Path

import lean_magic.verify as verify_package

README = Path(__file__).resolve().parents[2] / "README.md"
COPIED = "copied (`tests/verify/test_trust_model.py` keeps the two equal).\n\n"


def trust_model_of_docstring() -> str:
    doc = verify_package.__doc__ or ""
    return doc.split("Trust model\n===========\n\n", 1)[1].strip("\n").replace("``", "`")


def trust_model_of_readme() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Verification and its trust model", 1)[1].split("\n## ", 1)[0]
    return section.split(COPIED, 1)[1].strip("\n")


def test_readme_trust_model_equals_the_docstring():
    assert trust_model_of_readme() == trust_model_of_docstring()


def test_readme_lists_every_reason():
    section = README.read_text(encoding="utf-8").split("## Verification and its trust model", 1)[1].split("\n## ", 1)[0]
    for reason in verify_package.REASONS:
        assert f"`{reason}`" in section, reason


def test_trust_model_says_what_lean_and_what_python_decide():
    model = trust_model_of_docstring()
    assert "What Lean decides" in model and "What Python decides" in model and "receipt" in model
