"""gunicorn settings for the bench: each worker travels to the bench's moment (see clock.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def post_fork(server, worker):
    from clock import travel

    travel()
