"""Transport adapters and the retry policy.

Every client mounts a :class:`Replay429Adapter` on its server URL unless it is
given an adapter of its own. The policy it applies:

- ``429 Too Many Requests`` is replayed for every method, POST included: a 429
  means the server did not process the request, so a replay cannot apply a
  write twice.
- ``503 Service Unavailable`` and read errors are replayed only for ``GET`` and
  ``HEAD``, which cannot change data.
- Connection errors (nothing was sent yet) are retried for every method; a
  connection that drops after the request went out is not, for a write: its
  outcome is unknown and a replay could apply it twice.
- Waits grow exponentially from ``initialBackoff`` with random jitter, and a
  ``Retry-After`` header is honoured.
- How long: the default adapter replays within a *time budget*
  (:data:`DEFAULT_RETRY_BUDGET` seconds from the first refusal, each wait capped
  at :data:`BUDGET_MAX_BACKOFF`), so a rate-limiting storm that lasts is
  outwaited; given ``retries=N``, an adapter replays at most N times, as
  python-cloudant's did.

The library's adapters also apply :data:`DEFAULT_TIMEOUT` to a request sent
without a timeout (or with ``None`` for its connect or read part): the sessions
pass the client's ``timeout`` (``None`` unless one was given) on to
:mod:`requests` as python-cloudant did, and no request waits forever.
"""
from __future__ import annotations

import random
import time
from itertools import takewhile
from typing import Any, Optional, Tuple

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

__all__ = ["Replay429Adapter", "RetryPolicy"]

#: Connect and read timeouts (seconds) applied when a request is sent with none.
DEFAULT_TIMEOUT: Tuple[float, float] = (30.0, 300.0)

#: Seconds a request of the default adapter is replayed for, from its first refusal (429, or 503 for a read).
DEFAULT_RETRY_BUDGET = 60.0
#: The longest single wait (seconds, before jitter) of a policy with a time budget.
BUDGET_MAX_BACKOFF = 8.0
#: Connect and read errors replayed by a policy with a time budget (they are counted, not timed).
BUDGET_ERROR_RETRIES = 3

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
    :param float budget: seconds, from the first failed attempt of a request,
        within which it may be replayed (``None``: no time limit, only the counts).
        A replay whose wait (backoff or ``Retry-After``) would end past the
        budget is not made: the last answer is returned.
    :param float max_backoff: the longest single wait before jitter
        (default urllib3's cap, 120 s).
    """

    #: When the time budget of this request runs out (``time.monotonic()``); set at its first failure.
    deadline: Optional[float] = None

    def __init__(self, *args: Any, jitter: float = 0.0, budget: Optional[float] = None,
                 max_backoff: float = _MAX_BACKOFF, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.jitter = jitter
        self.budget = budget
        self.max_backoff = max_backoff

    def new(self, **kwargs: Any) -> RetryPolicy:
        retry = super().new(**kwargs)
        retry.jitter = self.jitter
        retry.budget = self.budget
        retry.max_backoff = self.max_backoff
        retry.deadline = self.deadline
        return retry

    def increment(self, method: Optional[str] = None, url: Optional[str] = None, response: Any = None,
                  error: Optional[Exception] = None, _pool: Any = None, _stacktrace: Any = None) -> RetryPolicy:
        """urllib3's count of one more failure; with a budget, also refused when the wait would outlast it.

        :raises urllib3.exceptions.MaxRetryError: when no replay is left (urllib3 then returns the last
            answer, or raises).
        """
        retry: RetryPolicy = super().increment(method, url, response, error, _pool, _stacktrace)
        if self.budget is None:
            return retry
        now = time.monotonic()
        if retry.deadline is None:
            retry.deadline = now + self.budget
        if now + retry._next_wait(response) > retry.deadline:
            reason = error or ResponseError("time budget of %gs for retries spent" % self.budget)
            raise MaxRetryError(_pool, url or "", reason)
        return retry

    def _next_wait(self, response: Any) -> float:
        """The seconds :meth:`sleep` will wait before the next attempt (``Retry-After``, else the backoff)."""
        if response is not None and self.respect_retry_after_header:
            retry_after = self.get_retry_after(response)
            if retry_after:
                return retry_after
        return self.get_backoff_time()

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
        cap: float = min(self.max_backoff, getattr(self, "backoff_max", _MAX_BACKOFF))  # urllib3 1.26: no backoff_max
        backoff = min(cap, self.backoff_factor * 2.0 ** min(errors - 1, 64))
        return backoff + random.uniform(0, self.jitter)

    @classmethod
    def for_couch(cls, retries: Optional[int] = 3, initial_backoff: float = 0.25,
                  budget: Optional[float] = None) -> RetryPolicy:
        """The library's policy: ``retries`` replays (``None``: as many as fit in ``budget`` seconds, the
        connect and read errors still counted) starting at ``initial_backoff`` seconds.

        With a budget, each wait is capped at :data:`BUDGET_MAX_BACKOFF`.
        """
        # get_backoff_time waits backoff_factor before the first retry and doubles it
        # for each further one, as python-cloudant documented for initialBackoff.
        errors = BUDGET_ERROR_RETRIES if retries is None else retries
        return cls(total=retries, connect=errors, read=errors, status=retries, redirect=False,
                   allowed_methods=_READ_ONLY_METHODS, status_forcelist=frozenset({429, 503}),
                   backoff_factor=initial_backoff, raise_on_status=False, raise_on_redirect=False,
                   respect_retry_after_header=True, jitter=initial_backoff, budget=budget,
                   max_backoff=_MAX_BACKOFF if budget is None else BUDGET_MAX_BACKOFF)


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

    def build_response(self, req: PreparedRequest, resp: Any) -> Response:
        """Build the response as :class:`~requests.adapters.HTTPAdapter` does, checking the body's length.

        urllib3 1.26 takes a body cut short of its ``Content-Length`` for the whole of it unless asked to
        check (urllib3 2.x checks by default): such a body must fail as a cut connection, not be decoded.
        """
        if getattr(resp, "enforce_content_length", True) is False:
            resp.enforce_content_length = True
        return super().build_response(req, resp)


class _Unset(int):
    """The value ``retries`` shows when not given: python-cloudant's default, 3, told apart from an explicit 3."""

    __slots__ = ()


_RETRIES_NOT_GIVEN = _Unset(3)


class Replay429Adapter(TimeoutAdapter):
    """An :class:`~requests.adapters.HTTPAdapter` that replays rate-limited requests.

    :param int retries: how many times a request is replayed at most. Not given
        (or ``None``): as often as fits in the time budget (the signature still
        shows python-cloudant's default, 3).
    :param float initialBackoff: seconds before the first replay; each further
        wait doubles. Default 0.25.
    :param float budget: keyword only: seconds, from a request's first refusal,
        within which it is replayed. Default :data:`DEFAULT_RETRY_BUDGET` when
        ``retries`` is not given, else no time limit (python-cloudant's count alone).

    .. versionchanged:: 3.0
       Works with urllib3 2.x; also replays 503 and read errors for ``GET``/``HEAD``
       and connection errors, adds jitter, and honours ``Retry-After``. Without
       ``retries`` (python-cloudant replayed 3 times) a request is replayed within
       a time budget, so a lasting 429 storm does not reach the caller.
    """

    def __init__(self, retries: Optional[int] = _RETRIES_NOT_GIVEN, initialBackoff: float = 0.25,  # noqa: N803
                 initial_backoff: Optional[float] = None, *, budget: Optional[float] = None, **kwargs: Any) -> None:
        backoff = initialBackoff if initial_backoff is None else initial_backoff
        if retries is _RETRIES_NOT_GIVEN:
            retries = None
        if retries is None and budget is None:
            budget = DEFAULT_RETRY_BUDGET
        super().__init__(max_retries=RetryPolicy.for_couch(retries, backoff, budget), **kwargs)
