import os

from django.core.asgi import get_asgi_application

from config.runtime import settle_after_startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()
settle_after_startup()
