"""Signing and delivering webhook events the way Stripe does."""

import hashlib
import hmac
import json
import queue
import threading
import time

import requests

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign(payload, secret: str, timestamp: int | None = None) -> str:
    """Return a ``Stripe-Signature`` header: ``t=…,v1=hex(HMAC_SHA256(secret, "t.payload"))``."""
    if isinstance(payload, (bytes, bytearray)):
        payload = payload.decode("utf-8")
    if timestamp is None:
        timestamp = int(time.time())
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def payload_of(event: dict) -> bytes:
    """Serialise an event as Stripe does (pretty-printed JSON, UTF-8)."""
    return json.dumps(event, indent=2, ensure_ascii=False).encode()


def deliver(url: str, event: dict, secret: str, timestamp: int | None = None, timeout=10):
    """POST one signed event to a webhook endpoint and return the ``requests`` response."""
    payload = payload_of(event)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Stripe-Signature": sign(payload, secret, timestamp),
    }
    return requests.post(url, data=payload, headers=headers, timeout=timeout)


class Deliverer:
    """One background thread that delivers events strictly in the order they were submitted."""

    def __init__(self, fake):
        """Deliver for ``fake``, recording each attempt in ``fake.deliveries``."""
        self.fake = fake
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, events, url: str, secret: str, wait: bool, timeout: float = 30) -> None:
        """Queue events for delivery; with ``wait`` return only once they were delivered."""
        if not events:
            return
        self._ensure_thread()
        done = threading.Event()
        for index, event in enumerate(events):
            last = index == len(events) - 1
            self._queue.put((event, url, secret, done if last else None))
        if wait:
            done.wait(timeout)

    def wait(self, timeout: float = 30) -> bool:
        """Block until everything queued so far was delivered; False on timeout."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put((None, None, None, done))
        return done.wait(timeout)

    def stop(self) -> None:
        """Finish the queued deliveries and end the thread."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(30)
        self._thread = None

    def _ensure_thread(self) -> None:
        """Start the delivery thread on first use."""
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="stripe-fake-webhooks", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        """Deliver queued events one after the other until told to stop."""
        while True:
            item = self._queue.get()
            if item is None:
                return
            event, url, secret, done = item
            if event is not None:
                self._deliver_one(event, url, secret)
            if done is not None:
                done.set()

    def _deliver_one(self, event: dict, url: str, secret: str) -> None:
        """Deliver one event and record the outcome; a failing endpoint is recorded, not raised."""
        record = {"event_id": event["id"], "type": event["type"], "url": url}
        try:
            response = deliver(url, event, secret)
        except requests.RequestException as exc:
            record.update(status=None, error=str(exc), body=None)
        else:
            record.update(status=response.status_code, error=None, body=response.text[:500])
        with self.fake.lock:
            self.fake.deliveries.append(record)
