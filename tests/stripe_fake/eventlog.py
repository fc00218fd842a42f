"""The account's events, kept as JSON text: 100,000s of them cost the garbage collector nothing."""

import json
from collections.abc import Sequence


class EventLog(Sequence):
    """An append-only list of events; reading an item returns a fresh dict (a snapshot)."""

    def __init__(self):
        """Start empty."""
        self._items: list[tuple[str, str]] = []  # (type, JSON text), untracked by the GC
        self._positions: dict[str, int] = {}

    def append_json(self, event_id: str, event_type: str, text: str) -> None:
        """Store one event given as JSON text."""
        self._positions[event_id] = len(self._items)
        self._items.append((event_type, text))

    def __len__(self) -> int:
        """Return the number of events."""
        return len(self._items)

    def __getitem__(self, index):
        """Return one event (or a list of events for a slice) as new dicts."""
        if isinstance(index, slice):
            return [json.loads(text) for _type, text in self._items[index]]
        return json.loads(self._items[index][1])

    def __eq__(self, other) -> bool:
        """Compare with a list of event dicts."""
        return list(self) == list(other)

    __hash__ = None

    def __repr__(self) -> str:
        """Show the event types."""
        return f"EventLog({self.types!r})"

    @property
    def types(self) -> list[str]:
        """Return the event types in order, without decoding the events."""
        return [event_type for event_type, _text in self._items]

    def get(self, event_id: str) -> dict | None:
        """Return the event with this id, or None."""
        position = self._positions.get(event_id)
        return None if position is None else self[position]

    def newest_first(self, before: int | None = None):
        """Yield (type, JSON text) from the newest event (or the one before ``before``) back."""
        end = len(self._items) if before is None else before
        for position in range(end - 1, -1, -1):
            yield self._items[position]

    def position(self, event_id: str) -> int | None:
        """Return the index of an event id, or None."""
        return self._positions.get(event_id)

    def clear(self) -> None:
        """Forget all events."""
        self._items.clear()
        self._positions.clear()
