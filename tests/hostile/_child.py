"""One SDK call per client kind (sync, async) against a hostile server, in a child process.

`python _child.py BASE_URL MODE LOGFILE TIMEOUT MAX_RETRIES` with the token in the
TMAPI_TOKEN environment variable. Sets a hard address-space limit on itself first (where
the platform has one), logs everything at DEBUG into LOGFILE (`logging.basicConfig`),
and prints one JSON line: per kind, what came back or what was raised (type, MRO,
every attribute's repr, the chain), how long it took; and the peak RSS in MiB.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any

HARD_LIMIT = 2 * 1024**3  # the child dies of MemoryError before the machine suffers
ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"


def _limit_memory() -> bool:
    try:
        import resource  # POSIX only: imported here, not at module level
    except ImportError:
        return False
    try:
        resource.setrlimit(resource.RLIMIT_AS, (HARD_LIMIT, HARD_LIMIT))
    except (ValueError, OSError):
        return False
    return True


def _peak_rss_mib() -> float | None:
    # Linux keeps ru_maxrss across fork and exec: a child of a big pytest worker starts
    # with the worker's peak. VmHWM belongs to this process's own memory map.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _describe(error: BaseException) -> dict[str, Any]:
    seen: list[str] = []
    link: BaseException | None = error
    while link is not None and len(seen) < 5:
        seen.append(repr(link) + " " + str(link) + " " + repr(vars(link)))
        link = link.__cause__ or link.__context__
    return {
        "error": type(error).__name__,
        "mro": [cls.__name__ for cls in type(error).__mro__],
        "text": str(error),
        "attributes": {name: repr(value) for name, value in vars(error).items()},
        "args": repr(error.args),
        "chain": seen,
    }


def main() -> None:
    base_url, _mode, logfile, timeout, retries = sys.argv[1:6]
    limited = _limit_memory()
    logging.basicConfig(level=logging.DEBUG, filename=logfile, force=True)
    from tmapi_search import AsyncTmapiClient, TmapiClient

    options: dict[str, Any] = {
        "base_url": base_url,
        "timeout": float(timeout),
        "max_retries": int(retries),
    }
    delays: list[float] = []
    options["on_retry"] = lambda event: delays.append(event.delay)
    results: dict[str, Any] = {"limited": limited}

    def sync_call() -> Any:
        with TmapiClient(**options) as client:
            return client.search_by_image(ALI, convert=False)

    async def async_call() -> Any:
        async with AsyncTmapiClient(**options) as client:
            return await client.search_by_image(ALI, convert=False)

    for kind in ("sync", "async"):
        delays.clear()
        started = time.monotonic()
        outcome: dict[str, Any]
        try:
            page = sync_call() if kind == "sync" else asyncio.run(async_call())
        except Exception as error:
            outcome = _describe(error)
        else:
            outcome = {
                "items": len(page.items),
                "item_id_types": sorted({type(item.item_id).__name__ for item in page.items}),
            }
        outcome["elapsed"] = time.monotonic() - started
        outcome["retry_delays"] = list(delays)
        results[kind] = outcome
    results["peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
