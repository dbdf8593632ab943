import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("REQUIRE_SECRET_KEY", "1")  # serving: no throwaway secret key
application = get_wsgi_application()
