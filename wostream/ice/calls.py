"""Our calls to subscribers' callbacks, through the router's server endpoint: push, pushBatch, and the one
question asked of a registered callback (does its session still exist).

Every failure comes back as one of the outcomes delivery decides on (`core.outcomes`): refused, gone, or
failed (a timeout, a lost connection), never as an Ice exception.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import Ice

from wostream.core.outcomes import Failed, Gone, Refused
from wostream.ice.contract import BatchRefused, BatchSubscriberPrx, PushRefused, SubscriberPrx

MAX_REASON = 200  # characters of a subscriber's PushRefused reason that we keep (logs, pages, dead letters)
MAX_PROXIES = 1000  # typed proxies kept ready; beyond, the cache starts again


class Caller:
    def __init__(self, communicator: Any) -> None:
        self.communicator = communicator
        self._proxies: dict[tuple[str, int], Any] = {}

    async def push(self, proxy: str, message: str, context: dict[str, str], timeout_ms: int) -> None:
        """One twoway call; returns on acknowledgement, raises Refused / Gone / Failed otherwise."""
        await _outcome(self._proxy(proxy, timeout_ms).pushAsync(message, context), timeout_ms, 1)

    async def push_batch(
        self, proxy: str, messages: list[str], context: dict[str, str], timeout_ms: int
    ) -> None:
        """One `pushBatch`; returns when every message is acknowledged, raises Refused (with `accepted`) /
        Gone / Failed otherwise."""
        prx = BatchSubscriberPrx.uncheckedCast(self._proxy(proxy, timeout_ms))
        await _outcome(prx.pushBatchAsync(messages, context), timeout_ms, len(messages))

    async def gone(self, proxy: str, timeout_ms: int = 2000) -> bool:
        """Whether a registered callback's session no longer exists (the router says ObjectNotExist): after
        a router or stack restart, callbacks registered before it are dead although nobody said goodbye. Any
        other failure (the router unreachable meanwhile) is not an answer: False."""
        try:
            await Ice.wrap_future(self._proxy(proxy, timeout_ms).ice_pingAsync())
        except Ice.ObjectNotExistException:
            return True
        except Ice.Exception:
            return False
        return False

    def _proxy(self, proxy: str, timeout_ms: int) -> Any:
        key = (proxy, timeout_ms)
        prx = self._proxies.get(key)
        if prx is None:
            base = self.communicator.stringToProxy(proxy)
            prx = SubscriberPrx.uncheckedCast(base.ice_invocationTimeout(timeout_ms))
            if len(self._proxies) >= MAX_PROXIES:
                self._proxies.clear()
            self._proxies[key] = prx
        return prx


async def _outcome(call: Awaitable[Any], timeout_ms: int, messages: int) -> None:
    """Await an Ice call and say what became of it in delivery's terms."""
    try:
        await Ice.wrap_future(call)
    except BatchRefused as exc:
        accepted = max(0, min(int(exc.accepted), messages))
        raise Refused(f"refused by subscriber: {str(exc.reason)[:MAX_REASON]}", accepted) from exc
    except PushRefused as exc:
        raise Refused(f"refused by subscriber: {str(exc.reason)[:MAX_REASON]}") from exc
    except Ice.ObjectNotExistException as exc:
        raise Gone("callback no longer exists") from exc
    except Ice.InvocationTimeoutException as exc:
        raise Failed(f"no answer within {timeout_ms} ms") from exc
    except Ice.Exception as exc:
        raise Failed(f"{type(exc).__name__}") from exc
