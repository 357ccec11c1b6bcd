"""Accent- and case-free text, kept in Service.search_text and applied to queries alike."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    """'Épicerie SOCIALE' → 'epicerie sociale' (NFKD, combining marks dropped, lower case)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def words(text: str) -> list[str]:
    """Searchable words of a query: normalised, letters and digits only."""
    return _WORD.findall(normalise(text))


def search_document(parts: Iterable[str]) -> str:
    return " ".join(words(" ".join(part for part in parts if part)))
