"""The webhook benchmark's data: paid Stripe payments as a deterministic spec, the figures the
books must show once every event is processed, and the Stripe fake in a process of its own.

Half of the payments pay a member's dues claim (most the exact amount, some more or less), half
are donations (a logged-in member, a known donor matched by e-mail, a new donor, anonymous; a
quarter earmarked for a project). A fifth are refunded (partly or fully), about one in a hundred
is disputed (mostly lost). Payouts move part of the balance to the bank; every fifth fails.
"""

import base64
import random
import threading
import time
from dataclasses import dataclass, field

API_KEY = "sk_test_webhook_bench"
WEBHOOK_SECRET = "whsec_webhook_bench"
DISPUTE_FEE = 1500  # what the fake withdraws per dispute (tests/stripe_fake/objects.py)
DUES_AMOUNTS = (1800, 3600, 4800, 6000)
DONATIONS = (500, 1000, 2000, 2500, 5000, 7500, 10000, 25000)
DONOR_KINDS = ("member", "known", "new", "anonymous")
PROJECTS = 3
FIRST_NAMES = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Jonas", "Jürgen")
LAST_NAMES = ("Müller", "Schmidt", "Weber", "Wagner", "Becker", "Koch", "Krüger", "Yılmaz")
CITIES = (("07743", "Jena"), ("07745", "Jena"), ("99423", "Weimar"), ("04109", "Leipzig"))


@dataclass(frozen=True)
class PersonSpec:
    """A member with one open dues claim (the claim's id is the person's id)."""

    id: int
    first_name: str
    last_name: str
    street: str
    postal_code: str
    city: str
    email: str
    claim_cents: int


@dataclass
class PaymentSpec:
    """One online payment: what it asked for, what Stripe did with it, what it must book."""

    id: int
    token: str
    purpose: str  # dues | donation
    asked: int  # OnlinePayment.amount_cents
    paid: int  # what the customer paid at Stripe
    method: str  # card | sepa_debit
    fee: int
    created: int  # unix time of the charge
    refund: int = 0
    dispute: str = ""  # "" | lost | won
    claim_id: int | None = None
    claim_cents: int = 0
    person_id: int | None = None  # the payer known when the payment starts
    donor_kind: str = ""  # donations: member | known | new | anonymous
    project: int | None = None  # index of the earmarked project; None: the general fund
    donor: dict = field(default_factory=dict)
    email: str | None = None

    @property
    def lost(self) -> int:
        """What a lost dispute took back (the fake disputes the full amount)."""
        return self.paid if self.dispute == "lost" else 0

    @property
    def income(self) -> int:
        """The payer's money the books keep."""
        return self.paid - self.refund - self.lost

    @property
    def fee_total(self) -> int:
        """Stripe's fee plus the fee of a decided dispute."""
        return self.fee + (DISPUTE_FEE if self.dispute else 0)

    @property
    def net(self) -> int:
        """The live booking's amount on the Stripe account."""
        return max(self.income, 0) - self.fee_total

    @property
    def status(self) -> str:
        """The status the payment must end in."""
        back = self.refund + self.lost
        if back >= self.paid:
            return "refunded"
        return "partially_refunded" if back else "succeeded"

    def income_lines(self) -> list[tuple[str, int]]:
        """(kind, cents) of the live booking's income lines: claim, clearing or donation.

        The first booking spreads the payment (the claim up to its amount, the rest to
        clearing); a refund or a lost dispute takes from the last line first (settle._reduced).
        """
        if self.purpose == "dues":
            share = min(self.paid, self.claim_cents)
            lines = [("claim", share), ("clearing", self.paid - share)]
        else:
            lines = [("donation", self.paid)]
        cut = self.paid - max(self.income, 0)
        kept = []
        for kind, cents in reversed(lines):
            take = min(cut, cents)
            cut -= take
            kept.append((kind, cents - take))
        return [(kind, cents) for kind, cents in reversed(kept) if cents > 0]


@dataclass
class Workload:
    """Everything the benchmark creates: persons, payments and payouts (amount, status)."""

    persons: list[PersonSpec]
    payments: list[PaymentSpec]
    payouts: list[tuple[int, str]]


def _token(rng: random.Random) -> str:
    """A 43-character url-safe token like secrets.token_urlsafe(32), but seeded."""
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()


def _fee(method: str, amount: int) -> int:
    """Stripe's fee: SEPA 0,35 €, card 0,25 € + 1,5 % (rounded half up)."""
    return 35 if method == "sepa_debit" else 25 + (amount * 15 + 500) // 1000


def _persons(count: int, rng: random.Random) -> list[PersonSpec]:
    """`count` members, each with a distinct e-mail address and one claim."""
    persons = []
    for pid in range(1, count + 1):
        postal_code, city = rng.choice(CITIES)
        persons.append(
            PersonSpec(
                id=pid,
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                street=f"Lindenweg {rng.randrange(1, 200)}",
                postal_code=postal_code,
                city=city,
                email=f"mitglied{pid}@example.org",
                claim_cents=rng.choice(DUES_AMOUNTS),
            )
        )
    return persons


def _donor(payment: PaymentSpec, persons: list[PersonSpec], number: int) -> None:
    """Fill in who gives a donation (the kinds take turns)."""
    kind = DONOR_KINDS[number % len(DONOR_KINDS)]
    payment.donor_kind = kind
    # donors who are members come from the second half: the first half pays its dues
    person = persons[len(persons) // 2 + number % max(len(persons) - len(persons) // 2, 1)]
    if kind == "member":
        payment.person_id, payment.email = person.id, person.email
    elif kind == "known":
        payment.email = person.email
        payment.donor = {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "street": person.street,
            "postal_code": person.postal_code,
            "city": person.city,
            "organisation": False,
        }
    elif kind == "new":
        payment.email = f"spender{payment.id}@example.net"
        payment.donor = {
            "first_name": "Neu",
            "last_name": f"Spender {payment.id}",
            "street": f"Am Markt {payment.id % 90 + 1}",
            "postal_code": "07743",
            "city": "Jena",
            "organisation": False,
        }


def _aftermath(payment: PaymentSpec, rng: random.Random) -> None:
    """About 1 % disputed (3 in 4 lost), else 20 % refunded (half partly, half fully)."""
    if payment.method == "card" and payment.id % 100 == 37:
        payment.dispute = "won" if payment.id % 400 == 337 else "lost"
    elif rng.random() < 0.20:
        if rng.random() < 0.5:
            payment.refund = payment.paid
        else:
            payment.refund = max(100, payment.paid * rng.randrange(10, 91) // 100)
            payment.refund = min(payment.refund, payment.paid)


def build(payments: int, seed: int, now: int | None = None) -> Workload:
    """The deterministic workload for `payments` payments (as many members as payments)."""
    rng = random.Random(seed)
    now = int(time.time()) if now is None else now
    # an even number of members: the first half pays its dues, the second half donates
    persons = _persons(max(payments + payments % 2, 2), rng)
    specs, dues_done, donations_done = [], 0, 0
    for pid in range(1, payments + 1):
        method = "sepa_debit" if rng.random() < 0.2 else "card"
        created = now - rng.randrange(0, 2 * 86_400)
        if pid % 2:  # dues: the next member of the first half pays their claim
            person = persons[dues_done % (len(persons) // 2)]
            dues_done += 1
            roll = rng.random()
            paid = person.claim_cents + (500 if roll < 0.03 else -1000 if roll < 0.06 else 0)
            spec = PaymentSpec(
                pid,
                _token(rng),
                "dues",
                person.claim_cents,
                paid,
                method,
                _fee(method, paid),
                created,
                claim_id=person.id,
                claim_cents=person.claim_cents,
                person_id=person.id,
                email=person.email,
            )
        else:
            amount = rng.choice(DONATIONS)
            spec = PaymentSpec(
                pid, _token(rng), "donation", amount, amount, method, _fee(method, amount), created
            )
            spec.project = donations_done % PROJECTS if rng.random() < 0.25 else None
            _donor(spec, persons, donations_done)
            donations_done += 1
        _aftermath(spec, rng)
        specs.append(spec)
    return Workload(persons, specs, _payouts(specs, rng))


def _payouts(specs: list[PaymentSpec], rng: random.Random) -> list[tuple[int, str]]:
    """Payouts of about half the balance in all, in whole euros; every fifth fails."""
    count = max(2, len(specs) // 200)
    balance = sum(spec.net for spec in specs)
    share = max(balance // 2 // count // 100 * 100, 100)
    return [
        (max(share - rng.randrange(0, 10) * 100, 100), "failed" if n % 5 == 4 else "paid")
        for n in range(count)
    ]


@dataclass
class Expected:
    """What the books must say once every event is processed."""

    stripe_cents: int = 0
    bank_cents: int = 0
    general_cents: int = 0
    projects_cents: dict[int, int] = field(default_factory=dict)
    claims_cents: dict[int, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    mismatches: int = 0
    disputes: int = 0
    new_persons: int = 0


def expected(work: Workload) -> Expected:
    """Sum up the spec: balances, fund balances, what each claim got, statuses."""
    out = Expected(projects_cents={n: 0 for n in range(PROJECTS)})
    out.claims_cents = {person.id: 0 for person in work.persons}
    for spec in work.payments:
        out.stripe_cents += spec.net
        out.general_cents -= spec.fee_total
        for kind, cents in spec.income_lines():
            if kind == "claim":
                out.claims_cents[spec.claim_id] += cents
            if kind == "donation" and spec.project is not None:
                out.projects_cents[spec.project] += cents
            else:
                out.general_cents += cents
        out.statuses[spec.status] = out.statuses.get(spec.status, 0) + 1
        out.mismatches += spec.paid != spec.asked
        out.disputes += bool(spec.dispute)
        out.new_persons += spec.donor_kind == "new"
    paid_out = sum(amount for amount, status in work.payouts if status == "paid")
    out.stripe_cents -= paid_out
    out.bank_cents = paid_out
    return out


# The Stripe fake, in a process of its own ------------------------------------------------------


class _Counting:
    """WSGI wrapper of the fake: counts API requests and the time spent answering them.

    GET /_bench/stats answers {"requests": n, "seconds": s, "by_kind": {...}};
    POST /_bench/reset sets the counters to zero.
    """

    def __init__(self, app):
        """Wrap the fake's WSGI app."""
        self.app = app
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero the counters."""
        with self.lock:
            self.requests, self.seconds, self.by_kind = 0, 0.0, {}

    def __call__(self, environ, start_response):
        """Answer /_bench/…, or pass the request on and time it."""
        import json

        path = environ.get("PATH_INFO", "")
        if path.startswith("/_bench/"):
            if path == "/_bench/reset":
                self.reset()
            with self.lock:
                body = {"requests": self.requests, "seconds": self.seconds, "by_kind": self.by_kind}
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]
        started = time.perf_counter()
        try:
            return list(self.app(environ, start_response))
        finally:
            if path.startswith("/v1/"):
                elapsed = time.perf_counter() - started
                kind = "/".join(path.split("/")[2:4]) if "checkout" in path else path.split("/")[2]
                with self.lock:
                    self.requests += 1
                    self.seconds += elapsed
                    self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


def _seed_fake(fake, work: Workload) -> dict[int, tuple[str, str]]:
    """Create the paid payments, disputes and payouts; {payment id: (session, intent)}."""
    fake.seed_paid_payments(
        [
            {
                "amount": spec.paid,
                "fee": spec.fee,
                "method": spec.method,
                "metadata": {"online_payment": spec.id, "supportclub_token": spec.token},
                "client_reference_id": str(spec.id),
                "email": spec.email,
                "name": " ".join(
                    part
                    for part in (spec.donor.get("first_name"), spec.donor.get("last_name"))
                    if part
                )
                or None,
                "description": "Mitgliedsbeitrag" if spec.purpose == "dues" else "Spende",
                "created": spec.created,
                "refund": spec.refund,
            }
            for spec in work.payments
        ]
    )
    ids = {}
    for session in fake.objects("checkout.session"):
        ids[int(session["metadata"]["online_payment"])] = (session["id"], session["payment_intent"])
    for spec in work.payments:
        if spec.dispute:
            dispute = fake.dispute(ids[spec.id][1])["dispute"]
            fake.close_dispute(dispute["id"], won=spec.dispute == "won")
    for amount, status in work.payouts:
        fake.payout(amount, status=status)
    return ids


def keep_alive_server(app):
    """A threaded HTTP/1.1 server for a WSGI app that keeps connections open, as Stripe's API
    does (werkzeug's development server closes each one, which would charge a TCP connect to
    the app and a new thread to the fake for every read)."""
    import io
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        """One connection: requests in a loop until the client closes it."""

        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms ACK wait)

        def serve(self) -> None:
            """Answer one request through the WSGI app, with a Content-Length."""
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            environ = {
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(length),
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": str(self.server.server_address[1]),
                "SERVER_PROTOCOL": "HTTP/1.1",
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(body),
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
            }
            for name, value in self.headers.items():
                key = "HTTP_" + name.upper().replace("-", "_")
                if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                    environ[key] = value
            answer = {}

            def start_response(status, headers, exc_info=None):
                answer["status"], answer["headers"] = status, headers
                return lambda data: None

            data = b"".join(app(environ, start_response))
            code, _, reason = answer["status"].partition(" ")
            self.send_response(int(code), reason)
            for name, value in answer["headers"]:
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = serve

        def log_message(self, *args) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def serve_fake(conn, payments: int, seed: int, now: int) -> None:
    """Child process: build the fake's account from the spec, send what the benchmark needs
    through `conn`, then serve the fake (threaded werkzeug) until terminated."""
    from tests.stripe_fake import objects as fake_objects
    from tests.stripe_fake.server import FakeStripeApp
    from tests.stripe_fake.state import FakeStripe

    fake_objects._random.seed(seed)  # the same ids in every run with this seed
    work = build(payments, seed, now)
    fake = FakeStripe(api_key=API_KEY, webhook_secret=WEBHOOK_SECRET)
    fake.auto_deliver = False
    counting = _Counting(FakeStripeApp(fake))
    server = keep_alive_server(counting)
    port = server.server_address[1]
    fake.port, fake.base_url = port, f"http://127.0.0.1:{port}"
    try:
        ids = _seed_fake(fake, work)
        balance = sum(bt["net"] for bt in fake.objects("balance_transaction"))
        conn.send(
            {
                "base_url": fake.base_url,
                "ids": ids,
                "events": list(fake.events),
                "balance": balance,
            }
        )
    except Exception as exc:  # noqa: BLE001  (the parent prints it)
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
        return
    with fake.lock:  # the seeding's recorded state is not needed any more
        fake.requests.clear()
    server.serve_forever()
