"""Every change of a survey: one function, one transaction, its audit entry and its emails."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import Membership, Organisation, Role, User
from maillage.core.outbox import queue_email
from maillage.surveys.models import Audience, Invitation, Question, Response, Series, Survey


def site_url(path: str) -> str:
    return str(getattr(settings, "MAILLAGE_SITE_URL", "") or "http://localhost:8000").rstrip("/") + path


@transaction.atomic
def create_survey(actor: User, fields: dict[str, Any], *, cadence: str = "", wave: dt.date | None = None) -> Survey:
    series = None
    if cadence:
        series = Series.objects.create(title=fields["title_fr"], cadence=cadence)
    survey = Survey.objects.create(**fields, series=series, wave=wave if series else None, created_by=actor)
    log_action(actor, "surveys.survey.created", survey, {"audience": survey.audience})
    return survey


@transaction.atomic
def update_survey(actor: User, survey: Survey, fields: dict[str, Any]) -> Survey:
    for name, value in fields.items():
        setattr(survey, name, value)
    survey.save()
    log_action(actor, "surveys.survey.changed", survey)
    return survey


@transaction.atomic
def add_question(actor: User, survey: Survey, fields: dict[str, Any]) -> Question:
    position = (survey.questions.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    key = fields.pop("key", "") or f"q{position}"
    while survey.questions.filter(key=key).exists():
        position += 1
        key = f"q{position}"
    question = Question.objects.create(survey=survey, position=position, key=key, **fields)
    log_action(actor, "surveys.question.created", survey, {"question": question.key})
    return question


def check_draft(survey: Survey) -> None:
    """The questions change only while nobody has opened the questionnaire (its answers keep their meaning)."""
    if survey.responses.exists():
        raise ValidationError(_("Answers have been given: the questions can no longer be changed."))


@transaction.atomic
def update_question(actor: User, question: Question, fields: dict[str, Any]) -> Question:
    locked = Question.objects.select_for_update().get(pk=question.pk)
    check_draft(locked.survey)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    log_action(actor, "surveys.question.edited", locked.survey, {"question": locked.key})
    return locked


@transaction.atomic
def move_question(actor: User, question: Question, to: int) -> Question:
    """Put the question at place `to` (0 = first) and number the others around it; the same request
    sent twice leaves the same order."""
    survey = Survey.objects.select_for_update().get(pk=question.survey_id)
    check_draft(survey)
    order = [q for q in survey.questions.order_by("position", "pk") if q.pk != question.pk]
    to = max(0, min(to, len(order)))
    order.insert(to, question)
    for position, item in enumerate(order, start=1):
        if item.position != position:
            Question.objects.filter(pk=item.pk).update(position=position)
    log_action(actor, "surveys.question.moved", survey, {"question": question.key, "position": to + 1})
    question.refresh_from_db()
    return question


@transaction.atomic
def delete_question(actor: User, question: Question) -> None:
    survey = question.survey
    check_draft(survey)
    log_action(actor, "surveys.question.deleted", survey, {"question": question.key})
    question.delete()


def coordinator_emails(organisation: Organisation) -> list[tuple[str, str]]:
    memberships = Membership.objects.filter(organisation=organisation, role=Role.COORDINATOR, is_active=True)
    return sorted({(m.user.email, m.user.language) for m in memberships.select_related("user")})


def _send_link(invitation: Invitation, template: str) -> list[str]:
    recipients = coordinator_emails(invitation.organisation)
    link = site_url(reverse("surveys:answer_organisation", kwargs={"token": invitation.token}))
    for email, language in recipients:
        queue_email(
            template,
            [email],
            {"survey": invitation.survey, "organisation": invitation.organisation, "link": link},
            language=language,
        )
    return [email for email, _language in recipients]


@transaction.atomic
def invite_organisations(actor: User, survey: Survey, organisations: list[Organisation]) -> list[Invitation]:
    """A personal link for each organisation, sent to its coordinators (once: a second invitation is a no-op)."""
    if survey.audience != Audience.ORGANISATIONS:
        raise ValidationError(_("Only a survey of member organisations sends personal links."))
    made = []
    for organisation in organisations:
        invitation, created = Invitation.objects.get_or_create(survey=survey, organisation=organisation)
        if created:
            invitation.sent_to = _send_link(invitation, "surveys/emails/invitation")
            invitation.save(update_fields=["sent_to"])
            made.append(invitation)
    log_action(actor, "surveys.invitation.sent", survey, {"organisations": len(made)})
    return made


def send_reminders(survey_id: int, actor: User | None = None) -> int:
    """Remind the organisations that have not sent their answers yet (an open survey only)."""
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey_id)
        if not survey.is_open():
            return 0
        answered = Response.objects.filter(survey=survey, submitted_at__isnull=False).values("organisation_id")
        waiting = survey.invitations.exclude(organisation_id__in=answered).select_related("organisation", "survey")
        count = 0
        for invitation in waiting:
            _send_link(invitation, "surveys/emails/reminder")
            invitation.reminders += 1
            invitation.last_reminded_at = timezone.now()
            invitation.save(update_fields=["reminders", "last_reminded_at"])
            count += 1
        log_action(actor, "surveys.reminder.sent", survey, {"organisations": count})
    return count


@transaction.atomic
def new_wave(actor: User, survey: Survey, wave: dt.date, opens_at: dt.datetime, closes_at: dt.datetime) -> Survey:
    """The next wave of a repeated survey: the same questions (same keys), the same organisations asked."""
    if survey.series is None:
        raise ValidationError(_("This survey is not repeated."))
    if Survey.objects.filter(series=survey.series, wave=wave).exists():
        raise ValidationError(_("This period already has its wave."))
    copy = Survey.objects.create(
        **{f: getattr(survey, f) for f in ("title_fr", "title_nl", "title_en", "intro_fr", "intro_nl", "intro_en", "audience")},
        opens_at=opens_at, closes_at=closes_at, series=survey.series, wave=wave, created_by=actor,
    )  # fmt: skip
    mapping: dict[int, Question] = {}
    for question in survey.questions.all():
        old_pk = question.pk
        condition = mapping.get(question.condition_question_id or 0)
        question.pk = None
        question.survey = copy
        question.condition_question = condition
        question.save()
        mapping[old_pk] = question
    log_action(actor, "surveys.wave.created", copy, {"wave": wave.isoformat()})
    organisations = [invitation.organisation for invitation in survey.invitations.select_related("organisation")]
    if organisations:
        invite_organisations(actor, copy, organisations)
    return copy


def _check_open(survey: Survey) -> None:
    now = timezone.now()
    if now < survey.opens_at:
        raise ValidationError(_("This survey is not open yet."))
    if now >= survey.closes_at:
        raise ValidationError(_("This survey is closed: answers are no longer accepted."))


def save_answers(response: Response, answers: dict[str, Any], *, finish: bool, user: User | None = None) -> Response:
    """Keep the answers of a sheet (a draft, or sent when `finish`); a sheet already sent is not changed."""
    with transaction.atomic():
        locked = Response.objects.select_for_update().get(pk=response.pk)
        _check_open(locked.survey)
        if locked.submitted_at is not None:
            raise ValidationError(_("These answers were already sent; they can no longer be changed."))
        locked.answers = answers
        locked.updated_at = timezone.now()
        if finish:
            locked.submitted_at = locked.updated_at
        locked.save(update_fields=["answers", "updated_at", "submitted_at"])
        if finish:
            log_action(
                user if user is not None and user.is_authenticated else None,
                "surveys.response.sent",
                locked.survey,
                {"response": locked.pk},
                organisation=locked.organisation,
            )
    return locked


def sheet_for_organisation(survey: Survey, organisation: Organisation) -> Response:
    """The organisation's one answer sheet (made on first visit; two colleagues at once share it)."""
    _check_open(survey)
    existing = Response.objects.filter(survey=survey, organisation=organisation, user__isnull=True).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Response.objects.create(
                survey=survey, organisation=organisation, sector=organisation.sector, region=organisation.region
            )
    except IntegrityError:
        return Response.objects.get(survey=survey, organisation=organisation, user__isnull=True)


def sheet_for_worker(survey: Survey, user: User, organisation: Organisation | None) -> Response:
    _check_open(survey)
    existing = Response.objects.filter(survey=survey, user=user).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Response.objects.create(
                survey=survey,
                user=user,
                organisation=organisation,
                sector=organisation.sector if organisation else "",
                region=organisation.region if organisation else "",
            )
    except IntegrityError:
        return Response.objects.get(survey=survey, user=user)


def public_sheet(survey: Survey) -> Response:
    _check_open(survey)
    return Response.objects.create(survey=survey)
