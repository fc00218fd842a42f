"""Access rules of the auditors' pages: the export page and the year ZIP for everyone who reads
the books (the board's ZIP leaves out the audit trail), the chain check for those who read the
audit trail (admin, treasurer, auditor)."""

from tests.access import READERS

AUDIT = ("admin", "treasurer", "auditor")

ROUTES = {
    "auditing.index": ("GET", "/pruefung", READERS),
    "auditing.export": ("GET", "/pruefung/export/2025.zip", READERS),
    "auditing.chain": ("GET", "/pruefung/protokoll-kette", AUDIT),
}
