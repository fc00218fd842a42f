"""Decode Stripe's form encoding (``line_items[0][price_data][unit_amount]=5000``)."""

import re

_KEY = re.compile(r"\[([^\]]*)\]")


def decode(pairs) -> dict:
    """Turn (key, value) pairs with bracket keys into nested dicts and lists of strings.

    ``a[0][b]=1`` becomes ``{"a": [{"b": "1"}]}``; ``expand[]=x`` appends; values under
    ``metadata`` always stay dicts even when their keys look like numbers.
    """
    root: dict = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        parts = [head, *_KEY.findall(key[len(head) :])]
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):  # "a=1&a[b]=2": the later, nested form wins
                    node = {}
    return _listify(root, in_metadata=False)


def _listify(node, in_metadata: bool):
    """Turn dicts whose keys are all 0..n-1 into lists, recursively (not inside metadata)."""
    if not isinstance(node, dict):
        return node
    converted = {
        key: _listify(value, in_metadata or key == "metadata") for key, value in node.items()
    }
    if not in_metadata and converted and all(key.isdigit() for key in converted):
        indexes = sorted(converted, key=int)
        return [converted[key] for key in indexes]
    return converted


def as_int(params: dict, name: str, *, default=None, minimum: int | None = None, path=None):
    """Read an integer parameter as Stripe does, raising its 400 error for garbage."""
    from .errors import invalid

    raw = params.get(name)
    label = path or name
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {raw}", param=label) from None
    if minimum is not None and value < minimum:
        raise invalid(
            f"Invalid {label}: must be greater than or equal to {minimum}",
            param=label,
        )
    return value


def as_bool(value) -> bool:
    """Read Stripe's "true"/"false" form values."""
    return str(value).lower() == "true"


def clean_metadata(raw, param: str = "metadata") -> dict:
    """Validate metadata like Stripe (≤50 keys, key ≤40, value ≤500 chars); "" unsets a key."""
    from .errors import invalid

    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise invalid("Invalid object", param=param)
    if len(raw) > 50:
        raise invalid("You can have at most 50 metadata keys.", param=param)
    metadata = {}
    for key, value in raw.items():
        if len(key) > 40:
            raise invalid("Metadata keys can be at most 40 characters.", param=f"{param}[{key}]")
        if not isinstance(value, str):
            raise invalid("Invalid metadata value", param=f"{param}[{key}]")
        if len(value) > 500:
            raise invalid("Metadata values can be at most 500 characters.", param=f"{param}[{key}]")
        if value != "":
            metadata[key] = value
    return metadata
