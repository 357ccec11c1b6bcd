"""gunicorn reads this file from the folder it starts in (the project's, and /opt/maillage in production)."""


def post_worker_init(worker: object) -> None:
    """Each web worker reads the directory's search index as it starts, not on someone's first search."""
    from maillage.directory.search.index import warm_up

    warm_up()
