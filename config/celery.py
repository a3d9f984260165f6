"""The Celery app. Eager (in-process) on the embedded default, Redis workers when CELERY_BROKER_URL is set."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# numpy's OpenBLAS starts one thread per CPU, and they spin after every product: a find-me comparison burnt about
# 40-70 ms of CPU per upload that way on 2 CPUs, and one face's product waited for a busy core (bench/FIND_ME.md).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
