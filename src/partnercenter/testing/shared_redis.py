"""Redis for the plugin's credential fixtures: a real token cache and refresh-token store, so
code under test runs the fleet's path (two tiers, the distributed lock, compare-and-set
rotation) against the emulator.

The URL comes from ``--partnercenter-redis-url``, else ``PARTNERCENTER_REDIS_URL``, else the
``partnercenter_redis_url`` ini value (the command line, then the environment, then the file,
as for the CLI's settings). Each test gets key prefixes of its own, so tests never see each
other's tokens (the emulator is reset between tests; Redis is not), and its keys are deleted
after it. The encryption key is ``PARTNERCENTER_STORE_KEY`` when set, else a random one per
session: nothing a test writes must outlive the run.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import Any, Final

__all__ = ["OPTION", "PREFIX", "REDIS_URL_ENV", "SharedRedis", "configured_url"]

#: The pytest option's and the ini value's name.
OPTION: Final = "partnercenter_redis_url"
#: Every key the plugin writes starts with this.
PREFIX: Final = "partnercenter-test:"


#: ``partnercenter.stores.redis_support.REDIS_URL_ENV`` (a test checks they agree), spelled out
#: so that a run without Redis imports nothing more than before: pytester's in-process runs
#: forget the modules they imported first, and a half-forgotten package breaks isinstance.
REDIS_URL_ENV: Final = "PARTNERCENTER_REDIS_URL"


def configured_url(option: str | None, ini: str | None) -> str | None:
    """The Redis URL in force: the command-line option's, the environment's, the ini file's."""
    return option or os.environ.get(REDIS_URL_ENV) or ini or None


class SharedRedis:
    """One test's view of the Redis: :meth:`pair` makes a ``(RedisTokenCache,
    RedisRefreshTokenStore)`` under a prefix of this test's own; :meth:`close` deletes every
    key of the test and closes the connections."""

    def __init__(self, url: str, key: str) -> None:
        from ..stores.redis_support import parse_redis_url

        self._url = url
        self._key = key
        self._target = parse_redis_url(url)
        #: This test's keys all start with it.
        self.prefix = f"{PREFIX}{uuid.uuid4().hex[:16]}:"
        self._opened: list[Any] = []

    @property
    def where(self) -> str:
        """The server, host only (the URL may hold a password)."""
        return self._target.describe()

    def __repr__(self) -> str:
        return f"SharedRedis({self.where}, prefix={self.prefix!r})"

    def pair(self, name: str = "shared") -> tuple[Any, Any]:
        """A cache and a store under ``prefix + name``: credentials given the same ``name``
        share tokens, others never do (a cache key does not name the signed-in user)."""
        from ..fleet import redis_from_env

        pair = redis_from_env(self._url, key=self._key, prefix=f"{self.prefix}{name}:")
        assert pair is not None
        self._opened.extend(pair)
        return pair

    def check(self) -> None:
        """Fail now when Redis cannot be used: the cache and store would otherwise go on
        without it (degraded mode), and the tests would pass without testing Redis."""
        _, store = self.pair("probe")
        store.load("probe")
        if store.degraded:
            raise ConnectionError(
                f"{self.where} does not answer, or refuses the password or user (see "
                "--partnercenter-redis-url / PARTNERCENTER_REDIS_URL)"
            )

    def close(self) -> None:
        from ..stores.redis_support import make_client

        with contextlib.suppress(Exception):  # a cleanup must not fail the test after it
            client = make_client(self._target, 2.0, asynchronous=False)
            try:
                for name in client.scan_iter(match=f"{self.prefix}*", count=500):
                    client.delete(name)
            finally:
                client.close()
        for part in self._opened:
            with contextlib.suppress(Exception):
                part.close()
        self._opened.clear()
