"""The Partner Center REST client's implementation (private; its public names are in
:mod:`partnercenter.client`). Modules: :mod:`.core` (pure: settings, calls, headers,
pre-flight checks), :mod:`.policy` (pure retry decisions), :mod:`.responses` (pure: answers and
error bodies), :mod:`.flow` (one call as a generator flow), :mod:`.paging` (both paging styles;
a page walk as a flow), :mod:`.calls` (the typed operations' calls), :mod:`.concurrency`
(bounded fan-out), :mod:`.base` (everything the blocking and the async client share) and
:mod:`.client` (the blocking client: the core run by the blocking driver). The typed methods
are generated from the operations catalog (``_operations_sync.py``, by ``_codegen.py``).
"""
