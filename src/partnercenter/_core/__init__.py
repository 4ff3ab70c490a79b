"""The private machinery every part shares: :mod:`.steps` (the steps a flow yields and the two
drivers, blocking and async, that run every credential and client call), :mod:`.timing`
(``Timing``, the clock, sleep and jitter seam, public as :class:`partnercenter.Timing`) and
:mod:`.atomic` (crash-safe file replacement for the stores, the CLI and the emulator)."""
