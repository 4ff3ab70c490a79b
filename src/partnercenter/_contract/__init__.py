"""What the library and the emulator agree on, written once: the wire constants
(:mod:`.wire`), the AADSTS and Partner Center error catalogs (:mod:`.aadsts`,
:mod:`.pc_errors`) and the operations catalog (:mod:`.operations`). Private: the public names
that come from here are re-exported by :mod:`partnercenter` and :mod:`partnercenter.errors`.
"""
