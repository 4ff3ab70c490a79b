"""The test suite (a package, so that shared helpers such as ``tests.fakes`` can be imported)."""
