"""Scheduled work: remind the organisations that have not answered (cron or the task queue)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from maillage.surveys import services
from maillage.surveys.models import Audience, Survey


@task()
def send_reminders(survey_id: int) -> int:
    return services.send_reminders(survey_id)


@task()
def remind_open_surveys() -> int:
    """Every open survey of member organisations: one reminder round (schedule it e.g. weekly)."""
    now = timezone.now()
    surveys = Survey.objects.filter(audience=Audience.ORGANISATIONS, opens_at__lte=now, closes_at__gt=now)
    return sum(services.send_reminders(survey.pk) for survey in surveys)
