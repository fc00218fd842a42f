"""Access rule of Stripe's webhook: public (no login, no CSRF token; Stripe signs instead).

The matrix posts an empty, unsigned body, which the webhook refuses with 400 for everybody
(anonymous and every role alike: never a redirect to the login page, never 403).
"""

ROUTES = {
    "payments.webhook": ("POST", "/stripe/webhook", "public"),
}

# the status a public route answers to the matrix's empty request, where it is not 200/302
PUBLIC_STATUS = {"payments.webhook": (400,)}
