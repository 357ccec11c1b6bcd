"""HSDS importing (see ../__init__.py)."""
