"""The fake's hosted Checkout page: a German test page that pays by card or SEPA, or cancels."""

from html import escape

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from .errors import FakeStripeError

STYLE = (
    "body{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}"
    ".hint{background:#fff3cd;padding:.5rem}.total{font-size:1.4rem}"
    "label{display:block;margin:.5rem 0}button{margin:.5rem .5rem 0 0;padding:.5rem 1rem}"
)
SYMBOLS = {"eur": "€"}


def format_amount(cents: int, currency: str = "eur") -> str:
    """Format cents the German way: 123456 → "1.234,56 €"."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    whole = f"{euros:,}".replace(",", ".")
    return f"{sign}{whole},{rest:02d} {SYMBOLS.get(currency, currency.upper())}"


def handle(fake, request: Request) -> Response:
    """Route ``/checkout/pay/<id>`` (GET), ``…/pay`` and ``…/cancel`` (POST)."""
    parts = request.path.strip("/").split("/")
    if len(parts) < 3 or parts[:2] != ["checkout", "pay"]:
        return _page("Nicht gefunden", "<p>Diese Seite gibt es nicht.</p>", 404)
    session_id = parts[2]
    action = parts[3] if len(parts) > 3 else ""
    try:
        session = fake.get(session_id, expand=["line_items"])
    except FakeStripeError:
        return _page("Nicht gefunden", "<p>Diese Zahlungsseite gibt es nicht.</p>", 404)
    if request.method == "GET" and action == "":
        return _show(session, fake._now())
    if request.method == "POST" and action == "pay":
        return _pay(fake, session, request.form)
    if request.method == "POST" and action == "cancel":
        if session["cancel_url"]:
            return redirect(session["cancel_url"], 303)
        return _page("Zahlung abgebrochen", "<p>Die Zahlung wurde abgebrochen.</p>")
    return _page("Nicht gefunden", "<p>Diese Seite gibt es nicht.</p>", 404)


def _closed_message(session: dict, now: int) -> str | None:
    """Return why a session cannot be paid any more, or None."""
    if session["status"] == "complete":
        return "Diese Zahlung wurde bereits abgeschlossen."
    if session["status"] == "expired" or session["expires_at"] < now:
        return "Diese Zahlungsseite ist abgelaufen."
    return None


def _show(session: dict, now: int) -> Response:
    """Render the payment page (or the reason it cannot be used)."""
    currency = session["currency"]
    rows = "".join(
        f"<li>{escape(item['description'])} × {item['quantity']}: "
        f"{escape(format_amount(item['amount_total'], currency))}</li>"
        for item in session["line_items"]["data"]
    )
    total = escape(format_amount(session["amount_total"], currency))
    body = (
        '<p class="hint">Diese Seite ersetzt Stripe Checkout in Tests. '
        "Es wird kein Geld bewegt.</p>"
        f'<ul class="items">{rows}</ul><p class="total">Gesamt: <strong>{total}</strong></p>'
    )
    message = _closed_message(session, now)
    if message:
        return _page("Testzahlung – kein echtes Geld", body + f'<p class="closed">{message}</p>')
    sid = escape(session["id"])
    email = escape(session["customer_email"] or "")
    buttons = ""
    if "card" in session["payment_method_types"]:
        buttons += '<button type="submit" name="method" value="card">Mit Karte bezahlen</button>'
    if "sepa_debit" in session["payment_method_types"]:
        buttons += (
            '<button type="submit" name="method" value="sepa_debit">'
            "Per SEPA-Lastschrift bezahlen</button>"
        )
    body += (
        f'<form method="post" action="/checkout/pay/{sid}/pay">'
        '<label>Name <input name="name" autocomplete="name"></label>'
        f'<label>E-Mail <input name="email" type="email" value="{email}"></label>'
        f"{buttons}</form>"
        f'<form method="post" action="/checkout/pay/{sid}/cancel">'
        '<button type="submit">Abbrechen</button></form>'
    )
    return _page("Testzahlung – kein echtes Geld", body)


def _pay(fake, session: dict, form) -> Response:
    """Complete the session as the chosen method, deliver its events, go to success_url."""
    method = form.get("method", "card")
    try:
        fake.complete(
            session["id"],
            method=method,
            name=form.get("name") or None,
            email=form.get("email") or None,
        )
    except FakeStripeError as error:
        return _page("Zahlung nicht möglich", f"<p>{escape(error.message)}</p>", 409)
    if session["success_url"]:
        return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]), 303)
    return _page("Zahlung abgeschlossen", "<p>Vielen Dank! Die Testzahlung ist abgeschlossen.</p>")


def _page(title: str, body: str, status: int = 200) -> Response:
    """Wrap a body in a small German HTML page."""
    html = (
        f'<!doctype html><html lang="de"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return Response(html, status, content_type="text/html; charset=utf-8")
