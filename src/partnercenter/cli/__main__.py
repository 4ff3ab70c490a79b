"""``python -m partnercenter.cli``: the same as the ``partnercenter`` command."""

from partnercenter.cli import main

main()
