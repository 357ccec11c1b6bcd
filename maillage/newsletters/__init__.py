"""Newsletters: lists, double opt-in, preferences, editions. Editions are sent by their own exactly-once,
rate-limited sender, not the core outbox: why is in `maillage.newsletters.sending`."""
