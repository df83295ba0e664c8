#!/usr/bin/env bash
# The Kaggle-stack job (run by .ci/run): our wheel on Kaggle's own pinned packages.
#
# 1. A fresh venv with Kaggle's versions (ci/kaggle-constraints.txt) of everything we
#    declare, and our other test requirements at their declared floors
#    (tests/kaggle/kaggle_stack.py says which), so every floor in pyproject.toml runs.
# 2. Our wheel, built and installed exactly as the README's Kaggle recipe does
#    (pip wheel . --no-deps, then pip install --no-index --no-deps).
# 3. The magic, widget, verify, pool, batch and kernel suites, examples/kaggle_verify.ipynb
#    through Kaggle's nbclient, and the checks of tests/kaggle (pip install WITH
#    dependencies would change nothing Kaggle ships). pytest runs from an empty folder,
#    so the kernel's `python -m lean_kernel` imports the wheel, not the source tree.
#
# Pins come from the package index; pip's cache makes a rerun take seconds.
# KAGGLE_PYTHON picks the interpreter (default python3; Kaggle's image runs 3.12).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
PYTHON=${KAGGLE_PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kaggle-stack.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
VENV=$WORK/venv

if [ -z "${LEAN_TRANSCRIPTS:-}" ]; then
  test -d ../shared/repl-transcripts || { echo "../shared/repl-transcripts is missing; set LEAN_TRANSCRIPTS" >&2; exit 1; }
  LEAN_TRANSCRIPTS=$(cd ../shared/repl-transcripts && pwd)
fi
export LEAN_TRANSCRIPTS

# This machine's pip configuration names local mirror folders that may not exist; pip says
# so once per package. Those lines are noise here, everything else is shown.
quiet_pip() { "$VENV/bin/python" -m pip "$@" 2> >(grep -v "^WARNING: Location 'file:" >&2); }

start=$SECONDS
echo "-- venv ($("$PYTHON" --version)) with Kaggle's pins"
"$PYTHON" -m venv "$VENV"
quiet_pip install -q -c ci/kaggle-constraints.txt pip                     # Kaggle's pip too
"$VENV/bin/python" tests/kaggle/kaggle_stack.py requirements > "$WORK/requirements.txt"
quiet_pip install -q -c ci/kaggle-constraints.txt -r "$WORK/requirements.txt"
echo "   $(("$SECONDS" - start)) s"

echo "-- our wheel, as the README's Kaggle recipe builds and installs it"
quiet_pip wheel -q . --no-deps -w "$WORK/wheels/"
wheel=$(ls "$WORK"/wheels/lean_kernel-*.whl)
quiet_pip install -q --no-index --no-deps "$WORK"/wheels/lean_kernel-*.whl
"$VENV/bin/python" -m pip list 2>/dev/null | grep -iE "^(ipython|ipykernel|jupyter.client|ipywidgets|nbclient|tqdm|pexpect|lean-kernel) " | tr -s ' ' | sed 's/^/   /'

echo "-- suites on Kaggle's stack"
mkdir "$WORK/run"
cd "$WORK/run"
export LEAN_KERNEL_WHEEL=$wheel
pytest=("$VENV/bin/python" -m pytest -q -rs -p no:cacheprovider -c "$REPO/pyproject.toml" --rootdir "$REPO")
# The default suite's selection (pyproject's addopts leaves out the heavy markers), then
# the checks of this venv itself.
"${pytest[@]}" "$REPO/tests/kaggle" "$REPO/tests/magic" "$REPO/tests/widget" "$REPO/tests/verify" \
  "$REPO/tests/batch" "$REPO/tests/kernel"
"${pytest[@]}" -m kaggle "$REPO/tests/kaggle"
echo "-- Kaggle-stack job: $(("$SECONDS" - start)) s in all"
