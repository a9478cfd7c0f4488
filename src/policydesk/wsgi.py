"""WSGI entry point: `gunicorn policydesk.wsgi` or any WSGI server."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policydesk.settings")
application = get_wsgi_application()

# Application servers run no system checks: refuse the public development key here (E002).
from policydesk.tickets.checks import development_key_refusal  # noqa: E402 - needs the apps loaded

if (refusal := development_key_refusal()) is not None:
    raise ImproperlyConfigured(refusal)
