"""HSDS export (see ../__init__.py)."""
