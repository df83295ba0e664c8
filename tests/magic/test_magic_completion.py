"""Tab in `%%lean` cells: Lean's Unicode abbreviations through IPython's completer, as
registered by `%load_ext lean_magic`; Python cells keep IPython's own completion.

Both ways in are tested on the installed IPython: the matcher API (IPython >= 8.6) and the
wrapped `completions` method that IPython 7.34 (Kaggle's) needs.
"""

from __future__ import annotations

import pytest
from IPython.core.completer import provisionalcompleter
from jupyter_client.manager import start_new_kernel
from lean_magic import completion

from lean_kernel import abbreviations


def complete(ip, text: str, offset: int | None = None) -> list[tuple[int, int, str, str]]:
    offset = len(text) if offset is None else offset
    with provisionalcompleter():
        return [(c.start, c.end, c.text, c.type) for c in ip.Completer.completions(text, offset)]


@pytest.fixture(params=["matcher_api", "wrapped_completions"])
def lean_ip(ip, request):
    matcher_api = request.param == "matcher_api"
    if matcher_api and not completion.uses_matcher_api():
        pytest.skip("this IPython has no matcher API (< 8.6)")
    completion.register(ip, matcher_api=matcher_api)
    yield ip
    completion.register(ip)  # the default way in again


@pytest.mark.parametrize("name", ["alpha", "to", "N", "<>", "forall", "\\", "+ "])
def test_abbreviation_in_a_lean_cell(lean_ip, name):
    cell = "%%lean --out r\ntheorem t (p : Prop) : p "
    found = complete(lean_ip, cell + "\\" + name)
    symbol = abbreviations.table()[name].replace("$CURSOR", "")
    assert found == [(len(cell), len(cell) + 1 + len(name), symbol, "\\" + name)]


def test_prefix_offers_several_in_order(lean_ip):
    found = complete(lean_ip, "%%lean\nexample : \\al")
    assert [f[2] for f in found][:2] == ["∀", "∀ᶠ"]
    assert {"α", "ℵ"} <= {f[2] for f in found}
    assert {f[0] for f in found} == {len("%%lean\nexample : ")}


def test_mid_cell_line_magic_and_blank_lines(lean_ip):
    cell = "%%lean\ndef f (n : \\N) := n\n#check f"
    cursor = cell.index(") :=")
    assert complete(lean_ip, cell, cursor) == [(cell.index("\\N"), cursor, "ℕ", "\\N")]
    assert complete(lean_ip, "%lean #check \\to")[0][2] == "→"
    assert complete(lean_ip, "\n\n%%lean\n\\to")[0][2] == "→"  # IPython drops leading blank lines


def test_python_code_keeps_ipython_completion(lean_ip):
    # A Python cell: IPython's LaTeX completion, not ours (`\N` is no Lean ℕ there).
    assert [f[2] for f in complete(lean_ip, "x = 1\n\\alpha")] == ["α"]
    assert all(f[3] != "\\alpha" for f in complete(lean_ip, "x = 1\n\\alpha"))
    assert "ℕ" not in [f[2] for f in complete(lean_ip, "\\N")]
    # The magic's own line is not Lean code (IPython's LaTeX table has `\\to` too).
    assert all(f[3] != "\\to" for f in complete(lean_ip, "%%lean --out \\to"))


def test_unload_removes_the_completer(ip):
    ip.extension_manager.unload_extension("lean_magic")
    try:
        assert "ℕ" not in [f[2] for f in complete(ip, "%%lean\n\\N")]
        assert not any(
            getattr(m, "matcher_identifier", None) == completion.MATCHER_ID for m in ip.Completer.custom_matchers
        )
    finally:
        ip.extension_manager.load_extension("lean_magic")
    assert complete(ip, "%%lean\n\\N")[0][2] == "ℕ"


def test_through_an_ipython_kernel():
    """What JupyterLab does in a Python notebook: complete_request to ipykernel."""
    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=60)
    try:
        reply = kc.execute_interactive("%load_ext lean_magic", timeout=60)
        assert reply["content"]["status"] == "ok"
        code = "%%lean\ntheorem t (p q : Prop) : p \\and q \\to"
        kc.complete(code, len(code))
        content = kc.get_shell_msg(timeout=30)["content"]
        assert content["matches"] == ["→"]
        assert (content["cursor_start"], content["cursor_end"]) == (len(code) - 3, len(code))
        cursor = code.index(" q \\to")
        kc.complete(code, cursor)
        content = kc.get_shell_msg(timeout=30)["content"]
        assert content["matches"] == ["∧"] and content["cursor_start"] == code.index("\\and")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
