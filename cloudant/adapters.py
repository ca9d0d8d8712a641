"""Transport adapters and the retry policy.

Every client mounts a :class:`Replay429Adapter` on its server URL unless it is
given an adapter of its own. The policy it applies:

- ``429 Too Many Requests`` is replayed for every method, POST included: a 429
  means the server did not process the request, so a replay cannot apply a
  write twice.
- ``503 Service Unavailable`` and read errors are replayed only for ``GET`` and
  ``HEAD``, which cannot change data.
- Connection errors (nothing was sent yet) are retried for every method.
- Waits grow exponentially from ``initialBackoff`` with random jitter, and a
  ``Retry-After`` header is honoured.

The library's adapters also apply :data:`DEFAULT_TIMEOUT` to a request sent
without a timeout (or with ``None`` for its connect or read part): the sessions
pass the client's ``timeout`` (``None`` unless one was given) on to
:mod:`requests` as python-cloudant did, and no request waits forever.
"""
from __future__ import annotations

import random
from itertools import takewhile
from typing import Any, Optional, Tuple

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

__all__ = ["Replay429Adapter", "RetryPolicy"]

#: Connect and read timeouts (seconds) applied when a request is sent with none.
DEFAULT_TIMEOUT: Tuple[float, float] = (30.0, 300.0)

_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_BACKOFF = 120.0  # seconds: urllib3's own cap on one wait


class RetryPolicy(Retry):
    """A :class:`urllib3.util.retry.Retry` that replays 429 for any method.

    urllib3 checks ``allowed_methods`` both before a status retry and before a
    read-error retry, so one method list cannot allow a 429 on ``POST`` while
    refusing a 503 on ``POST``: :meth:`is_retry` lifts the method check for 429
    alone.

    :param float jitter: up to this many seconds of random delay are added to
        each backoff, so clients rate limited together do not retry together.
    """

    def __init__(self, *args: Any, jitter: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.jitter = jitter

    def new(self, **kwargs: Any) -> RetryPolicy:
        retry = super().new(**kwargs)
        retry.jitter = self.jitter
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429:
            return self.total is None or self.total > 0
        return super().is_retry(method, status_code, has_retry_after)

    def get_backoff_time(self) -> float:
        """Seconds to wait before the next replay: ``backoff_factor`` before the first, doubling after.

        urllib3 itself waits nothing before the first retry, which would answer a
        429 with an immediate second request.
        """
        errors = len(list(takewhile(lambda entry: entry.redirect_location is None, reversed(self.history))))
        if errors == 0 or self.backoff_factor <= 0:
            return 0.0
        cap: float = getattr(self, "backoff_max", _MAX_BACKOFF)  # urllib3 1.26 has no backoff_max
        backoff = min(cap, self.backoff_factor * 2.0 ** (errors - 1))
        return backoff + random.uniform(0, self.jitter)

    @classmethod
    def for_couch(cls, retries: int = 3, initial_backoff: float = 0.25) -> RetryPolicy:
        """The library's default policy, with ``retries`` replays starting at ``initial_backoff`` seconds."""
        # get_backoff_time waits backoff_factor before the first retry and doubles it
        # for each further one, as python-cloudant documented for initialBackoff.
        return cls(total=retries, connect=retries, read=retries, status=retries, redirect=False,
                   allowed_methods=_READ_ONLY_METHODS, status_forcelist=frozenset({429, 503}),
                   backoff_factor=initial_backoff, raise_on_status=False, raise_on_redirect=False,
                   respect_retry_after_header=True, jitter=initial_backoff)


def with_default_timeout(timeout: Any) -> Any:
    """Return ``timeout`` with :data:`DEFAULT_TIMEOUT` standing in for ``None`` (whole, or either part)."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, tuple) and len(timeout) == 2:
        connect, read = timeout
        return (DEFAULT_TIMEOUT[0] if connect is None else connect, DEFAULT_TIMEOUT[1] if read is None else read)
    return timeout


class TimeoutAdapter(HTTPAdapter):
    """An :class:`~requests.adapters.HTTPAdapter` that sends with :data:`DEFAULT_TIMEOUT` when given no timeout."""

    def send(self, request: PreparedRequest, stream: bool = False, timeout: Any = None, *args: Any,
             **kwargs: Any) -> Response:
        """Send as :class:`~requests.adapters.HTTPAdapter` does, with :data:`DEFAULT_TIMEOUT` for a missing timeout."""
        return super().send(request, stream, with_default_timeout(timeout), *args, **kwargs)


class Replay429Adapter(TimeoutAdapter):
    """An :class:`~requests.adapters.HTTPAdapter` that replays rate-limited requests.

    :param int retries: how many times a request is replayed. Default 3.
    :param float initialBackoff: seconds before the first replay; each further
        wait doubles. Default 0.25.

    .. versionchanged:: 3.0
       Works with urllib3 2.x; also replays 503 and read errors for ``GET``/``HEAD``
       and connection errors, adds jitter, and honours ``Retry-After``.
    """

    def __init__(self, retries: int = 3, initialBackoff: float = 0.25,  # noqa: N803 - public name
                 initial_backoff: Optional[float] = None, **kwargs: Any) -> None:
        backoff = initialBackoff if initial_backoff is None else initial_backoff
        super().__init__(max_retries=RetryPolicy.for_couch(retries, backoff), **kwargs)
