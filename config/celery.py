"""Celery: background jobs on Redis. Without CELERY_BROKER_URL jobs run inline."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("poverty")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["config"])
