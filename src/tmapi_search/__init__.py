"""tmapi_search: an unofficial Python kit for TMAPI's 1688 image search."""

from __future__ import annotations

from tmapi_search.auth import ApiTokenAuth, RedactTokenFilter, install_log_redaction

__all__ = ["ApiTokenAuth", "RedactTokenFilter", "install_log_redaction"]
__version__ = "0.1.0"
