import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
application = get_wsgi_application()

# Each web worker reads the directory's search index as it starts, not on someone's first search.
from maillage.directory.searchmemory import warm_up  # noqa: E402 - needs the application set up

warm_up()
