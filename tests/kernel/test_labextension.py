"""The JupyterLab extension's sources and prebuilt files agree with the Python side, without
node: its word lists are generated from lean_kernel/editing.py, it registers the language
the kernel's language_info names, and the prebuilt package.json loads files that exist.
(`scripts/build_labextension.py --check`, run by .ci/run, rebuilds it with node.)"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

from lean_kernel.kernel import LANGUAGE_INFO

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "labextension"
PREBUILT = REPO / "lean_kernel" / "labextension"


def build_script():
    spec = importlib.util.spec_from_file_location("build_labextension", REPO / "scripts" / "build_labextension.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_word_lists_are_generated_from_editing():
    assert (SOURCE / "src" / "words.json").read_text(encoding="utf-8") == build_script().words_json()


def test_extension_registers_the_language_the_kernel_names():
    language = (SOURCE / "src" / "language.ts").read_text(encoding="utf-8")
    index = (SOURCE / "src" / "index.ts").read_text(encoding="utf-8")
    assert re.search(rf"LEAN_LANGUAGE_NAME = '{re.escape(LANGUAGE_INFO['codemirror_mode'])}'", language)
    assert f"mime: '{LANGUAGE_INFO['mimetype']}'" in index
    assert f"extensions: ['{LANGUAGE_INFO['file_extension'].lstrip('.')}']" in index


def test_prebuilt_files_are_complete():
    meta = json.loads((PREBUILT / "package.json").read_text(encoding="utf-8"))
    assert meta["name"] == json.loads((SOURCE / "package.json").read_text(encoding="utf-8"))["name"]
    entry = PREBUILT / meta["jupyterlab"]["_build"]["load"]
    assert entry.is_file(), f"{entry} is missing: run scripts/build_labextension.py and commit lean_kernel/labextension"
    # Every chunk the entry point can load is there (webpack names them by content hash).
    chunks = set(re.findall(r'\b(\d+)"?:"([0-9a-f]{20})"', entry.read_text(encoding="utf-8")))
    assert chunks, "no chunk map found in the remote entry"
    for chunk_id, digest in chunks:
        assert (PREBUILT / "static" / f"{chunk_id}.{digest}.js").is_file(), f"chunk {chunk_id}.{digest}.js is missing"
    install = json.loads((SOURCE / "install.json").read_text(encoding="utf-8"))
    assert install["packageName"] == "lean-kernel"
