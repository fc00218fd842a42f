"""Stripe-shaped errors raised by the fake, for API answers and for misuse from tests."""


class FakeStripeError(Exception):
    """An error the fake answers with Stripe's error JSON (and raises from Python actions)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ):
        """Remember the HTTP status and the fields of Stripe's ``error`` object."""
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param

    def to_json(self) -> dict:
        """Return the body Stripe sends: ``{"error": {...}}``."""
        error = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


def missing(kind: str, object_id: str, param: str = "id") -> FakeStripeError:
    """Return the 404 ``resource_missing`` error for an unknown id."""
    return FakeStripeError(
        f"No such {kind}: '{object_id}'", status=404, code="resource_missing", param=param
    )


def invalid(message: str, param: str | None = None, code: str | None = None) -> FakeStripeError:
    """Return a 400 ``invalid_request_error``."""
    return FakeStripeError(message, param=param, code=code)
