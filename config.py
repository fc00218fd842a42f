"""Configuration classes, read from the environment once at start-up."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    """The database URL: DATABASE_URL, or the embedded SQLite file in instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'supportclub.sqlite'}"
    # Heroku-style URLs and plain postgresql:// go through psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # a logged-in session ends after 8 hours without a request; "angemeldet bleiben" lasts 14 days
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 8
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_DAYS", "14")))

    # CSRF on every form
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8

    # Rate limits (in-memory by default, e.g. redis://127.0.0.1:6379 in production)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    # failed logins per e-mail address (known or not: the lockout reveals no account), and reset
    # links asked for per address
    ACCOUNT_LOCKOUT_LIMIT = os.environ.get("ACCOUNT_LOCKOUT_LIMIT", "5 per 15 minutes")
    RESET_PER_ADDRESS_LIMIT = os.environ.get("RESET_PER_ADDRESS_LIMIT", "3 per hour")

    # Languages: German first, English second
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")

    # Self-hosted CSS and JS (no CDN)
    BOOTSTRAP_SERVE_LOCAL = True

    # Mail: "smtp" sends through MAIL_SERVER; "console" writes each mail to the log instead
    # (the default while MAIL_SERVER is not set, so development never mails real people).
    MAIL_BACKEND = os.environ.get(
        "MAIL_BACKEND", "smtp" if os.environ.get("MAIL_SERVER") else "console"
    )
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = 20
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "kasse@localhost")

    # Paging
    BOOKINGS_PER_PAGE = 50

    # Uploads (member import files): requests above this are refused with 413
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    # where uploaded import files wait between the import steps (default instance/imports)
    MEMBER_IMPORT_DIR = os.environ.get("MEMBER_IMPORT_DIR") or None
    # where uploaded documents (project applications, proofs of use) are kept, outside static/
    # (default instance/uploads); they are served only through views that check the role
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or None
    # the largest document upload, in bytes
    DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
    # the year's receipts batch: without REDIS_URL it runs in a thread of the app's own process;
    # with it, the job goes to the RQ queue "supportclub" (workers: flask receipts worker)
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # processes that render receipt PDFs in parallel (default: the number of cores; 1 = none)
    RECEIPT_RENDER_PROCESSES = int(os.environ.get("RECEIPT_RENDER_PROCESSES") or 0) or None
    # a running batch without a sign of life for this long counts as interrupted (seconds)
    RECEIPT_BATCH_STALE_SECONDS = 600

    # Online payments (Stripe Checkout). Without the secret key the app works fully and hides
    # the payment buttons. STRIPE_API_BASE points the library at another API host (a local
    # Stripe-compatible fake); STRIPE_PAYMENT_METHODS ("card,sepa_debit") limits the methods
    # offered, otherwise Checkout offers whatever the Stripe account has enabled.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY") or None
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
    STRIPE_PAYMENT_METHODS = os.environ.get("STRIPE_PAYMENT_METHODS") or None
    # seconds a signed webhook may be old before it is refused (Stripe's default is 300)
    STRIPE_WEBHOOK_TOLERANCE = 300
    # the library retries a failed request this often (idempotency keys make that safe)
    STRIPE_MAX_RETRIES = 2


class DevelopmentConfig(Config):
    """Local use: embedded SQLite, demo data, debug toolbar off."""

    DEBUG = False


class TestingConfig(Config):
    """The test suite: CSRF on by default (tests switch it off where they need to)."""

    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_STORAGE_URI = "memory://"
    # The limiter stays on (one Limiter serves every test app); the suite logs in very often.
    LOGIN_RATE_LIMIT = "100000 per minute"
    ACCOUNT_LOCKOUT_LIMIT = "100000 per minute"
    RESET_PER_ADDRESS_LIMIT = "100000 per minute"
    # argon2 with minimal cost keeps the suite fast; production uses the library default.
    PASSWORD_HASH_FAST = True
    # mail goes to the log unless a test points the app at its local SMTP sink
    MAIL_BACKEND = "console"
    # receipts render in the test process (tests that check the pool ask for two processes)
    RECEIPT_RENDER_PROCESSES = 1
    REDIS_URL = None  # a REDIS_URL in the environment never sends test batches to a queue
    # tests that pay online point the app at their own fake Stripe
    STRIPE_SECRET_KEY = None
    STRIPE_WEBHOOK_SECRET = None
    STRIPE_API_BASE = None
    STRIPE_PAYMENT_METHODS = None
    STRIPE_MAX_RETRIES = 0
    # each test rolls its database back, so a closed year's sums kept by the process could
    # outlive the data they came from; tests/reports/test_frozen_sums.py switches it on
    REPORT_CACHE_CLOSED_YEARS = False


class ProductionConfig(Config):
    """Production: a real SECRET_KEY and secure cookies are required."""

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls) -> None:
        """Refuse to start without the variables production cannot do without."""
        secret = os.environ.get("SECRET_KEY", "")
        if not secret or secret == "dev-only-not-secret" or len(secret) < 16:
            raise RuntimeError(
                "SECRET_KEY fehlt: Setzen Sie die Umgebungsvariable SECRET_KEY auf einen "
                "zufälligen Wert (mindestens 16 Zeichen), z. B. "
                "python -c 'import secrets; print(secrets.token_hex(32))'."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
