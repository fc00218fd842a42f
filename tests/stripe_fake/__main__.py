"""Run the Stripe fake standalone: ``python -m tests.stripe_fake --port 12111 …``."""

import argparse

from .server import FakeStripeServer
from .state import FakeStripe


def main(argv=None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.stripe_fake", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url", help="deliver signed events here")
    parser.add_argument("--webhook-secret", help="whsec_… used to sign deliveries")
    parser.add_argument("--api-key", help="accept only this key (default: any sk_test_…)")
    parser.add_argument("--public-url", help="base URL for checkout pages (default: own URL)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if args.webhook_url and not args.webhook_secret:
        parser.error("--webhook-url needs --webhook-secret")
    fake = FakeStripe(args.api_key, args.webhook_url, args.webhook_secret, host=args.host)
    server = FakeStripeServer(fake, args.host, args.port, quiet=not args.verbose)
    fake.port = server.port
    fake.base_url = args.public_url or f"http://{args.host}:{server.port}"
    print(
        f"Stripe fake on {fake.base_url} (API {fake.base_url}/v1, control {fake.base_url}/_fake/)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
        server.server.server_close()


if __name__ == "__main__":
    main()
