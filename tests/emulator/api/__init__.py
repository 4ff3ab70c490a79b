"""Tests of the emulator's Partner Center API, over TLS against the session emulator."""
