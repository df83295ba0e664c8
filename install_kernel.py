#!/usr/bin/env python
"""Install the Lean 4 Jupyter kernelspec. Same as ``python -m lean_kernel.install``;
run with --help for the options."""

import sys

from lean_kernel.install import main

if __name__ == "__main__":
    sys.exit(main())
