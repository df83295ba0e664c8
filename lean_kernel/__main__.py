"""Start the Lean 4 kernel: ``python -m lean_kernel -f CONNECTION_FILE`` (what the
kernelspec written by ``install_kernel.py`` runs)."""

from ipykernel.kernelapp import IPKernelApp

from .kernel import LeanKernel

if __name__ == "__main__":
    IPKernelApp.launch_instance(kernel_class=LeanKernel)
