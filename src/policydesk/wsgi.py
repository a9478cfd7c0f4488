"""WSGI entry point: `gunicorn policydesk.wsgi` or any WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policydesk.settings")
application = get_wsgi_application()
