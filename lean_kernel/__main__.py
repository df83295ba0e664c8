"""``python -m lean_kernel -f CONNECTION_FILE`` starts the Lean 4 kernel (what the
kernelspec runs); ``python -m lean_kernel setup | bundle | demo ...`` is the
``lean-kernel`` command (see ``lean_kernel.cli``)."""

import sys

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("setup", "bundle", "demo"):
        from .cli import main

        sys.exit(main(sys.argv[1:]))

    from ipykernel.kernelapp import IPKernelApp

    from .kernel import LeanKernel

    IPKernelApp.launch_instance(kernel_class=LeanKernel)
