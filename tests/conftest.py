"""Root of the test suite: the CI skip rule (``tests/skip_policy.py``) applies everywhere, and
the one way a test gets an emulator.

Every emulator of the suite comes from the public pytest plugin (``partnercenter.testing``),
as a user's would:

- ``emu`` (below): the module's emulator, the plugin's ``pc_emulator_module``: the seed, or
  what the module declares with ``pytestmark = pytest.mark.partnercenter_data(data,
  tls=..., plugin_settings=...)``; one per distinct declaration per process, reset when a
  module starts, not between its tests;
- ``pc_emulator``: the same, reset before each test;
- ``pc_emulator_factory(data, ...)``: a shared emulator for a fixture of another scope or
  name, and ``with pc_emulator_factory.private(data, ...) as emulator:`` one of a test's own
  (stopped when the block ends), for a test that changes what a reset keeps.

Tests of starting itself (state directories, restarts, the ``serve`` command, config files)
call ``Emulator.start`` directly: there, the start is what is tested.
"""

from __future__ import annotations

import pytest

from partnercenter.testing import Sandbox

from .skip_policy import (  # noqa: F401  (pytest finds hooks by name)
    pytest_configure,
    pytest_make_collect_report,
    pytest_runtest_makereport,
)


@pytest.fixture(scope="module")
def emu(pc_emulator_module: Sandbox) -> Sandbox:
    """This module's emulator (see the module docstring)."""
    return pc_emulator_module
