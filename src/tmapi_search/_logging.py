"""Logging under `tmapi_search`, switched on by `TMAPI_LOG=debug|info`.

The package logs through the standard `logging` module on the `tmapi_search` logger
and adds no handler unless `TMAPI_LOG` asks for one (as openai-python does with
`OPENAI_LOG`). Whatever the configuration, the token is kept out of every record:
the client never formats it into a message, and `install_log_redaction()` masks
`apiToken=...` in httpx's own "HTTP Request: GET ...?apiToken=..." INFO line.
"""

from __future__ import annotations

import logging
import os

from tmapi_search.auth import RedactTokenFilter, install_log_redaction

__all__ = ["LOGGER_NAME", "logger", "setup_logging"]

LOGGER_NAME = "tmapi_search"
logger = logging.getLogger(LOGGER_NAME)
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_configured = False


def setup_logging() -> None:
    """Install token redaction on httpx's loggers; honour TMAPI_LOG once per process."""
    global _configured
    install_log_redaction()
    if _configured:
        return
    _configured = True
    level = _LEVELS.get(os.environ.get("TMAPI_LOG", "").strip().lower())
    if level is None:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s")
    )
    handler.addFilter(RedactTokenFilter())
    for name in (LOGGER_NAME, "httpx"):
        named = logging.getLogger(name)
        named.setLevel(level)
        named.addHandler(handler)
