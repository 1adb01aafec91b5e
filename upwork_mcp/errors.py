"""The one exception tree of upwork-mcp.

Every message says what happened, in Upwork's terms, for the model and the user; no message ever
carries a token, secret or authorization code. What to do next that names a tool or a command is
added where the error is shown (`upwork_mcp.advice`), keyed by the error's class and `root` (the
Upwork operation it is about).

    UpworkError
    ├── ConfigError                 bad or missing settings
    ├── InvalidInputError           an argument the engine can't use (a bad cursor, an unknown name)
    │   └── UnansweredQuestions         a job's screening questions not all answered (.questions)
    ├── NotAuthenticatedError       no token, or the refresh was rejected
    ├── ConfirmationRequired        a write was not confirmed by the user
    ├── CriteriaNeeded              nothing is ranked before the user states their criteria
    ├── APIConnectionError          network failure, timeout
    └── APIError                    Upwork (or the job feed) answered with a failure
        ├── BadRequestError 400     ├── AuthenticationError 401
        ├── PermissionDeniedError 403 (names the API-key permission to enable)
        │   └── TenantError             the organization (tenant) was refused
        ├── NotFoundError 404       ├── RateLimitError 429 (.retry_after)
        ├── ServerError 5xx
        └── GraphQLError            errors[] in a 200 answer (.errors, .partial_data)
"""

from __future__ import annotations

from typing import Any, Self


class UpworkError(Exception):
    """Base of every error upwork-mcp raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.root: str | None = None  # the Upwork operation (root field) this is about, when known

    def __str__(self) -> str:
        return self.message

    def about(self, root: str | None) -> Self:
        """Say which Upwork operation this error is about (the surface's advice keys on it)."""
        self.root = root
        return self


class ConfigError(UpworkError):
    """A setting is missing or has a value we cannot use."""


class InvalidInputError(UpworkError):
    """An argument can't be used as given; the message names it and says what to give instead."""


class UnansweredQuestions(InvalidInputError):
    """A job's screening questions are not all answered; `questions` are the job's, in order (the client's words,
    so the surface shows them marked as third-party text)."""

    def __init__(self, message: str, questions: tuple[str, ...]) -> None:
        super().__init__(message)
        self.questions = questions


class NotAuthenticatedError(UpworkError):
    """There is no usable token; the user must log in."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "Not logged in to Upwork.")


class ConfirmationRequired(UpworkError):
    """A write needs the user's confirmation before it is sent."""


class CriteriaNeeded(UpworkError):
    """Nothing can be ranked yet: the user has not stated (or accepted) their ranking criteria."""


class APIConnectionError(UpworkError):
    """The request did not get an answer: network failure or timeout.

    `may_have_arrived` is False only when the connection was never made, so nothing was sent.
    """

    def __init__(self, message: str, *, may_have_arrived: bool = True) -> None:
        super().__init__(message)
        self.may_have_arrived = may_have_arrived


class APIError(UpworkError):
    """The server answered with a failure."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class BadRequestError(APIError):
    """400: the request was malformed or a parameter was invalid."""


class AuthenticationError(APIError):
    """401: the token was refused."""


class PermissionDeniedError(APIError):
    """403, or a GraphQL permission error: the API key lacks a permission."""

    def __init__(
        self,
        message: str,
        *,
        permission: str | None = None,
        status_code: int | None = 403,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.permission = permission
        self.errors = errors or []  # Upwork's errors[], when the refusal came as GraphQL errors


class TenantError(PermissionDeniedError):
    """403 naming the tenant: the organization asked for is not one this user may act in."""


class NotFoundError(APIError):
    """404, or a GraphQL 'not found': the id does not exist or is not visible."""


class RateLimitError(APIError):
    """429: too many requests."""

    def __init__(self, message: str, *, retry_after: float | None = None, status_code: int | None = 429) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server failed."""


class GraphQLError(APIError):
    """A 200 answer that carries an `errors` array; `partial_data` keeps what did come back."""

    def __init__(
        self,
        message: str,
        *,
        errors: list[dict[str, Any]],
        partial_data: dict[str, Any] | None = None,
        unanswerable: bool = False,
    ) -> None:
        super().__init__(message, status_code=200)
        self.errors = errors
        self.partial_data = partial_data
        # True when nothing this server asks of the operation can be answered (every field gone or nulled)
        self.unanswerable = unanswerable
