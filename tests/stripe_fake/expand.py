"""Stripe's ``expand`` for the fake: replace id fields by (recursively expanded) objects."""

from .errors import invalid
from .objects import public, visible

# Fields that hold another object's id and may be expanded, per object type.
EXPANDABLE = {
    "checkout.session": {"payment_intent"},
    "payment_intent": {"latest_charge"},
    "charge": {"balance_transaction", "dispute", "payment_intent", "failure_balance_transaction"},
    "refund": {"balance_transaction", "charge", "failure_balance_transaction", "payment_intent"},
    "dispute": {"charge", "payment_intent"},
    "payout": {"balance_transaction", "failure_balance_transaction"},
    "balance_transaction": {"source"},
}
# Fields that are lists Stripe only includes when expanded.
LISTS = {("charge", "refunds"), ("checkout.session", "line_items")}


def parse(expand) -> dict:
    """Turn ``["a.b", "a.c", "d"]`` into the tree ``{"a": {"b": {}, "c": {}}, "d": {}}``."""
    if expand in (None, ""):
        return {}
    if isinstance(expand, str):
        expand = [expand]
    elif isinstance(expand, dict):
        expand = list(expand.values())
    tree: dict = {}
    for path in expand:
        if not isinstance(path, str):
            raise invalid("Invalid array", param="expand")
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree


def render(fake, raw: dict, tree: dict, prefix: str = "", copy: bool = True) -> dict:
    """Return ``raw`` without "_" keys, the fields in ``tree`` expanded (call under the lock).

    With ``copy=False`` nested values are shared with the stored object: serialise the result
    before releasing the lock.
    """
    out = public(raw) if copy else visible(raw)
    kind = raw.get("object")
    for field, sub in tree.items():
        path = prefix + field
        if (kind, field) in LISTS:
            extra = set(sub) - {"data"}
            if extra:
                raise invalid(f"This property cannot be expanded ({path}.{extra.pop()}).", "expand")
            items = fake._list_field(raw, field)
            out[field] = {
                "object": "list",
                "data": [
                    render(fake, item, sub.get("data", {}), f"{path}.data.", copy) for item in items
                ],
                "has_more": False,
                "url": fake._list_url(raw, field),
            }
        elif field in EXPANDABLE.get(kind, ()):
            ref = raw.get(field)
            if ref is not None:
                out[field] = render(fake, fake._raw(ref), sub, path + ".", copy)
        else:
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    return out
