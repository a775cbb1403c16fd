"""JSON Lines text → (place, line number, value) per non-blank line; the one reader of the question
sets (`assistant.evaluate`) and the public data files (`assistant.convert`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def json_lines(text: str, source: str, error: type[Exception]) -> Iterator[tuple[str, int, Any]]:
    """("source:line", line number, parsed value) for each non-blank line of `text`; a malformed
    line raises `error` naming its place, the JSON message and the column."""
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source}:{no}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            raise error(f"{where}: malformed JSON ({e.msg} at column {e.colno})") from None
        yield where, no, value
