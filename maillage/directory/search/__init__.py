"""The directory search, in pieces: the canonical URL of a search state (state), the result cards (cards)."""
