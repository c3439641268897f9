"""WSGI entry point for the HTTP benchmark (gunicorn bench._wsgi:application)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench._settings")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
