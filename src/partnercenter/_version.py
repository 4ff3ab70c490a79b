"""The package's version, in a module of its own: the single source (``pyproject.toml`` reads it
at build time), importable without importing :mod:`partnercenter` itself, so that a module
which needs the version (the User-Agent, ``--version``) draws no import edge back to the root.
"""

__version__ = "0.1.0"
