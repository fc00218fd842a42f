"""Demo receipts: the year before last already receipted (as a treasurer would have in January).

The demo association notified its tax office of machine-made receipts, so it prints a facsimile
signature (drawn here with Pillow) and may e-mail receipts. The last full year is left open, so
the year's batch ("Zuwendungsbestätigungen <Jahr> erstellen") can be tried on it.
"""

import math
from datetime import date
from io import BytesIO

from PIL import Image, ImageDraw

from supportclub.admin.services import get_settings
from supportclub.extensions import db
from supportclub.ledger.models import Person
from supportclub.receipts import services
from supportclub.receipts.contributions import donors_of_year, open_contributions
from supportclub.receipts.signature import store_signature

SIGNATORY = "Katrin Vogt, Schatzmeisterin"
NOTIFIED_ON = date(2016, 3, 1)


def signature_png() -> bytes:
    """A handwriting-like flourish as a transparent PNG."""
    width, height = 600, 160
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    points = []
    for step in range(0, 520):
        x = 30 + step
        y = 90 - 38 * math.sin(step / 23.0) * math.exp(-step / 700) - 12 * math.sin(step / 5.5)
        points.append((x, y))
    draw.line(points, fill=(20, 30, 110, 255), width=5, joint="curve")
    draw.line([(60, 128), (470, 118)], fill=(20, 30, 110, 255), width=3)
    buffer = BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def enable_machine_receipts() -> None:
    """Signatory, facsimile and the tax office's notification, as the demo treasurer set them."""
    settings = get_settings()
    settings.receipt_signatory = SIGNATORY
    settings.machine_receipts = True
    settings.machine_receipts_notified_on = NOTIFIED_ON
    db.session.flush()
    store_signature(signature_png(), actor=None)


def issue_year(year: int, issued_on: date) -> int:
    """Issue every receipt of `year` (one per donor with an address, in kind singly)."""
    settings = get_settings()
    issued = 0
    for donor in donors_of_year(year, dues_deductible=settings.dues_deductible):
        if not donor.has_address:
            continue
        person = db.session.get(Person, donor.person_id)
        if donor.money_count:
            services.store_pdf(
                services.allocate_collective(person, year, actor=None, issued_on=issued_on)
            )
            issued += 1
        if donor.in_kind_count:
            start, end = date(year, 1, 1), date(year, 12, 31)
            for contribution in open_contributions(
                person.id, start, end, dues_deductible=settings.dues_deductible
            ):
                if contribution.in_kind:
                    services.store_pdf(
                        services.allocate_single(
                            contribution.line_id, actor=None, issued_on=issued_on
                        )
                    )
                    issued += 1
    return issued
