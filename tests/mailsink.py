"""A local SMTP sink (aiosmtpd) that collects the mails the app sends."""

import email
import email.policy
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller


def _free_port() -> int:
    """A free TCP port on 127.0.0.1 (aiosmtpd's self-check fails with port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class MailSink:
    """Received messages, parsed."""

    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        """Keep the message; answer OK."""
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        """Messages sent to `address`."""
        return [m for m in self.messages if address in m.envelope_to]

    @staticmethod
    def body(message) -> str:
        """The text body of a message."""
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def attachments(message) -> list:
        """(filename, bytes) of every attachment."""
        return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]


@pytest.fixture
def mailsink(app):
    """Point the app's mail at a fresh local SMTP sink for one test."""
    sink = MailSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config[k] for k in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS")}
    app.config.update(
        MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False
    )
    try:
        yield sink
    finally:
        controller.stop()
        app.config.update(saved)
