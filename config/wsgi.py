import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("REQUIRE_SECRET_KEY", "1")  # serving: no throwaway secret key
application = get_wsgi_application()

# What lives as long as the server process (modules, classes, settings, the URLconf and the
# views and serializers it imports: about 135,000 objects) is set apart from Python's cyclic
# garbage collector. Otherwise each full collection walks all of it: one in about a hundred
# requests of the officers' mix pays 100-150 ms, about 1 ms a request on average (issue 15;
# bench/README.md, "The garbage collector"). What requests make is collected as before.
import_module(settings.ROOT_URLCONF)  # every view is imported now, not on the first request
gc.collect()
gc.freeze()
