#!/usr/bin/env python3
"""Fetch the recorded Lean REPL sessions the tests replay, from leanprover-community/repl
at the commits pinned in lean_kernel/testing/fetch_recordings.py (needs git and network).

    python scripts/fetch_recordings.py [DEST]     # default: ../shared/repl-transcripts
"""

import sys
from pathlib import Path

# Runs from a fresh clone, before `pip install`: the module it calls is stdlib only.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lean_kernel.testing.fetch_recordings import main

if __name__ == "__main__":
    sys.exit(main())
