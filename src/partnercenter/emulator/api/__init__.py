"""The emulator's Partner Center API: seeded data, the REST operations and their rules.

Deliberately import-free: ``emulator/state.py`` imports :mod:`.faults` from here, and the
rest of the package imports the state, so eager imports would be circular. The application
wires the API in through :func:`partnercenter.emulator.api.routes.api_routes`.
"""
