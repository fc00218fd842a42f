"""What the fuzz tests share: hostile values, the form fields of a page, the database fingerprint,
and the url of every route (placeholders filled once per test from the access matrix)."""

import hashlib
import io
import random
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.test_access_matrix import MATRIX, MODULES, OWNER

# the statuses a request may get; 500 (or anything else) is a finding. 410: an invitation or
# reset link that a previous (valid) example already used
ALLOWED_STATUS = {200, 302, 303, 400, 403, 404, 405, 409, 410, 413, 422}
# how the app marks a refused form: a field error, a form error or an error flash
ERROR_MARKERS = ("is-invalid", "invalid-feedback", "alert-danger")

HOSTILE = [
    "' OR 1=1 --",
    "1; DROP TABLE booking",
    "'; DELETE FROM audit_entry; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% raw %}",
    "x" * 100_000,
    "\u202eabc\u202c",  # right-to-left override
    "a\u200bb\ufeff",  # zero-width space, BOM
    "😀👨‍👩‍👧" * 3,
    "\x00",
    "Muster\x00Anna",
    "\r\n\t",
    "-1",
    "0",
    str(2**63),
    str(-(2**63) - 1),
    "99999999999999999999",
    "2147483648",
    "²",  # a digit to str.isdigit(), not to int()
    "١٢٣",  # Arabic-Indic digits
    "Muster, Anna #99999999999999999999",  # a picked person with an impossible id
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "1,5e3",
    "1.234.567,89",
    "2024-02-30",
    "0000-00-00",
    "9999-12-31",
    "31.02.2024",
    "",
    " ",
    "null",
    "[]",
    "../../etc/passwd",
    "%s%n%x",
]

# field names the forms never have
UNKNOWN_NAMES = ["id", "actor_id", "role", "__proto__", "amount_cents[]"]

# a form value: one hostile string, random text, or the key repeated (a list)
_scalar = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
VALUE = st.one_of(_scalar, st.lists(_scalar, min_size=2, max_size=3))

# values a form may accept, so that one hostile field meets otherwise sensible ones
PLAUSIBLE = [
    "12,50",
    "1.234,56",
    "2025-03-01",
    "01.03.2025",
    "1",
    "2025",
    "Muster",
    "anna@example.org",
    "DE89370400440532013000",
    "y",
]

# percent-encoded bytes that are not UTF-8 (and a lone surrogate in its CESU-8 form)
RAW_GARBAGE = "%FF%FE%C3%28%ED%A0%80%00"


class FormParser(HTMLParser):
    """The forms of a page: action, method and the names of their fields (and select options)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        """Collect forms, inputs, selects, options and textareas."""
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "fields": {},
            }
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            field = self._field(name, kind)
            if a.get("value") is not None:
                field["options"].append(a["value"])
        elif tag == "textarea" and name:
            self._textarea = self._field(name, "textarea")
        elif tag == "select" and name:
            self._field(name, "select")
            self._select = name
        elif tag == "option" and self._select and a.get("value") is not None:
            self._form["fields"][self._select]["options"].append(a["value"])

    def _field(self, name: str, kind: str) -> dict:
        """The field `name` of the current form: its kind and the values the page offers."""
        return self._form["fields"].setdefault(name, {"kind": kind, "options": []})

    def handle_data(self, data):
        """A textarea's text is its value."""
        if self._textarea is not None and data.strip():
            self._textarea["options"].append(data)

    def handle_endtag(self, tag):
        """Close the current form or select."""
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(html: str) -> list[dict]:
    """The forms of an HTML page."""
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def fields_for(pages: list[tuple[str, str]], url: str) -> dict:
    """The fields of the forms on `pages` ((page url, html) pairs) that post to `url`."""
    path = urlsplit(url).path
    fields: dict = {}
    for page_url, html in pages:
        for form in forms_of(html):
            action = urlsplit(form["action"]).path or urlsplit(page_url).path
            if form["method"] == "post" and action == path:
                fields.update(form["fields"])
    return fields


class Urls:
    """The urls of the matrix's routes, every context() called at most once per test.

    Like tests/test_access_matrix.py `_url`, but the objects the placeholders name are made
    once, so the page with a form and the url it posts to refer to the same objects.
    """

    def __init__(self, users):
        self.users = users
        self._values: dict = {}

    def _context(self, module) -> dict:
        if module.__name__ not in self._values:
            has = hasattr(module, "context")
            self._values[module.__name__] = module.context(self.users) if has else {}
        return self._values[module.__name__]

    def __call__(self, endpoint: str) -> str:
        """The url of `endpoint` with its placeholders filled."""
        template = MATRIX[endpoint][1]
        if not re.search(r"\{\w+\}", template):
            return template
        values = dict(self._context(OWNER[endpoint]))
        try:
            return template.format(**values)
        except KeyError:  # the url names objects of another feature
            for module in MODULES:
                if module is not OWNER[endpoint]:
                    values = {**self._context(module), **values}
            return template.format(**values)


def role_for(endpoint: str) -> str | None:
    """A role allowed on `endpoint` (the treasurer where possible); None: anonymous."""
    allowed = MATRIX[endpoint][2]
    if allowed == "public":
        return None
    if "treasurer" in allowed:
        return "treasurer"
    return allowed[0] if allowed else "admin"


_TABLES: dict = {}


def fingerprint(db) -> dict:
    """Per table: row count and a hash over all rows (the test databases are small)."""
    bind = db.session.connection()
    key = bind.engine.url.render_as_string()
    if key not in _TABLES:
        existing = set(sa.inspect(bind).get_table_names())
        _TABLES[key] = [t for t in db.metadata.sorted_tables if t.name in existing]
    result = {}
    for table in _TABLES[key]:
        rows = db.session.execute(sa.select(table)).all()
        digest = hashlib.sha256()
        for row in sorted(repr(tuple(r)) for r in rows):
            digest.update(row.encode("utf-8", "surrogatepass"))
        result[table.name] = (len(rows), digest.hexdigest()[:16])
    return result


def changed(before: dict, after: dict) -> dict:
    """The tables whose fingerprint differs."""
    tables = set(before) | set(after)
    return {t: (before.get(t), after.get(t)) for t in tables if before.get(t) != after.get(t)}


def is_refusal(response) -> bool:
    """A request the app refused: an error status or the form shown again with an error."""
    if response.status_code >= 400:
        return True
    if response.status_code in (200, 422) and response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        return any(marker in body for marker in ERROR_MARKERS)
    return False


def file_value(kind: str, small: bytes, seed: int) -> FileStorage:
    """A file for an upload field: empty, random bytes, or large (under the request limit)."""
    if kind == "empty":
        data = b""
    elif kind == "huge":
        data = random.Random(seed).randbytes(4 * 1024 * 1024)
    else:
        data = small
    names = ["auszug.xml", "liste.csv", "antrag.pdf", "../../x.png", "\u202egpj.exe", ""]
    return FileStorage(io.BytesIO(data), names[seed % len(names)])


def multipart(payload: dict) -> dict:
    """client.post() arguments for a form with files, the body encoded in memory.

    (Werkzeug's EnvironBuilder spools a large multipart body to a temporary file it never
    closes, which the suite's filterwarnings=error turns into a failure of the next test.)
    """
    boundary, body = encode_multipart(MultiDict(payload))
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def raw_body(names) -> bytes:
    """A urlencoded body whose every value is invalid UTF-8."""
    pairs = [f"{quote(name)}={RAW_GARBAGE}" for name in names] or [f"x={RAW_GARBAGE}"]
    return "&".join(pairs).encode("ascii")
