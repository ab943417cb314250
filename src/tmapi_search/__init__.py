"""tmapi_search: an unofficial Python kit for TMAPI's 1688 image search."""

from __future__ import annotations

from tmapi_search.auth import ApiTokenAuth, RedactTokenFilter, Secret, install_log_redaction
from tmapi_search.client import (
    NOT_GIVEN,
    AsyncTmapiClient,
    InsecureTransportWarning,
    NotGiven,
    TmapiClient,
)
from tmapi_search.drift import (
    ContractDriftError,
    DriftEvent,
    DriftLog,
    DriftSampler,
    find_drift,
)
from tmapi_search.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConcurrencyLimitError,
    DataRetrievalError,
    MalformedResponseError,
    ParameterError,
    ServerError,
    SubscriptionError,
    TmapiError,
    UpstreamTimeoutError,
)
from tmapi_search.images import ALIBABA_IMAGE_HOSTS
from tmapi_search.retries import RetryEvent

__all__ = [
    "ALIBABA_IMAGE_HOSTS",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "ApiTokenAuth",
    "AsyncTmapiClient",
    "AuthenticationError",
    "ConcurrencyLimitError",
    "ContractDriftError",
    "DataRetrievalError",
    "DriftEvent",
    "DriftLog",
    "DriftSampler",
    "InsecureTransportWarning",
    "MalformedResponseError",
    "NotGiven",
    "ParameterError",
    "RedactTokenFilter",
    "RetryEvent",
    "Secret",
    "ServerError",
    "SubscriptionError",
    "TmapiClient",
    "TmapiError",
    "UpstreamTimeoutError",
    "find_drift",
    "install_log_redaction",
]
__version__ = "0.1.0"
