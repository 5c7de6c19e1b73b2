"""The Vobiz Phone Numbers API client. Nothing here knows about Slack, approvals or the store."""

from api.client import DEFAULT_BASE_URL, USER_AGENT, VobizClient
from api.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequest,
    Conflict,
    CoolOffInEffect,
    InvalidNumber,
    NotFound,
    PermissionDenied,
    PurchaseDebitFailed,
    RateLimited,
    ServerError,
    UnexpectedResponse,
    VobizError,
    error_from_response,
)
from api.models import (
    Capabilities,
    CancelReleaseResult,
    Page,
    PhoneNumber,
    PurchaseResult,
    ReleaseResult,
    SubAccount,
    SubAccountPage,
)
from api.numbers import NumbersResource
from api.phone import display, normalize_e164
from api.subaccounts import SubAccountsResource

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequest",
    "CancelReleaseResult",
    "Capabilities",
    "Conflict",
    "CoolOffInEffect",
    "DEFAULT_BASE_URL",
    "InvalidNumber",
    "NotFound",
    "NumbersResource",
    "Page",
    "PermissionDenied",
    "PhoneNumber",
    "PurchaseDebitFailed",
    "PurchaseResult",
    "RateLimited",
    "ReleaseResult",
    "ServerError",
    "SubAccount",
    "SubAccountPage",
    "SubAccountsResource",
    "USER_AGENT",
    "UnexpectedResponse",
    "VobizClient",
    "VobizError",
    "display",
    "error_from_response",
    "normalize_e164",
]
