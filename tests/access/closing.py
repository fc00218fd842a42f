"""Access rules of the year-end closing: the board, the auditors, admin and treasurer read the
years and checklists; only the treasurer closes a year."""

from tests.access import READERS

ROUTES = {
    "closing.index": ("GET", "/jahresabschluss", READERS),
    "closing.year": ("GET", "/jahresabschluss/2025", READERS),
    "closing.close": ("POST", "/jahresabschluss/2025", ("treasurer",)),
}
