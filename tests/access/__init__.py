"""The access matrix, one module per feature.

Each module defines ROUTES = {endpoint: (method, url template, allowed)} where allowed is a
tuple of roles or "public", and optionally context(users) -> dict returning the values of the
url placeholders (creating the objects they name). tests/test_access_matrix.py merges them all.
"""

ALL = ("admin", "treasurer", "board", "auditor", "member")
READERS = ("admin", "treasurer", "board", "auditor")
NOBODY: tuple[str, ...] = ()
