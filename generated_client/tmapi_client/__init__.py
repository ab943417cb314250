"""A client library for accessing TMAPI 1688 image search (unofficial contract)"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
