"""Writing an import's checked rows through the services, one row at a time: the slow, obvious path that
`imports.bulk` replaces, kept as its reference (tests/casework/test_import_bulk.py runs files through both and
compares what they write and report)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from maillage.casework import rollups, services
from maillage.casework.imports.checking import Planned, like_message
from maillage.casework.models import CaseFile, FollowUp, ImportRun, Person

if TYPE_CHECKING:
    from maillage.casework.imports.running import Report


def write_persons(run: ImportRun, planned: list[Planned], report: Report) -> None:
    # After the centre's lock: the duplicate rule sees every person written before, none half-written.
    services.lock_persons_of(run.organisation)
    existing = {p.source_id: p for p in Person.objects.filter(organisation=run.organisation).exclude(source_id="")}
    before = set(Person.objects.filter(organisation=run.organisation).values_list("pk", flat=True))
    for plan in planned:
        values = dict(plan.values)
        opened_on = values.pop("opened_on")
        source_id = values.pop("source_id")
        person = existing.get(source_id)
        if person is None:
            like = services.similar_persons(run.organisation, values).filter(pk__in=before).first()
            if like is not None:
                report.warnings.append([plan.line, like_message(like.reference)])
                continue
            case_file = services.create_person(
                run.actor,
                run.organisation,
                services.CheckedPerson(values),
                opened_on=opened_on,
                source_id=source_id,
                allow_similar=True,
            )
            existing[source_id] = case_file.person
            report.created += 1
        else:
            values.pop("commune", None)
            with rollups.persons_changing([person.pk]):
                for key, value in values.items():
                    setattr(person, key, value)
                person.commune = plan.values.get("commune")
                person.save(update_fields=[*values, "commune"])
            report.updated += 1


def write_follow_ups(run: ImportRun, planned: list[Planned], report: Report) -> None:
    existing = {f.source_id: f for f in FollowUp.objects.filter(organisation=run.organisation).exclude(source_id="")}
    for plan in planned:
        values = plan.values
        person: Person = values["person"]
        case_file = CaseFile.objects.filter(person=person).order_by("-opened_on").first()
        if case_file is None:
            case_file = CaseFile.objects.create(organisation=run.organisation, person=person, opened_on=values["date"])
        follow_up = existing.get(values["source_id"])
        data = services.FollowUpData(
            date=values["date"],
            mode=values["mode"],
            worker=run.actor,
            duration=values["duration"],
            source_id=values["source_id"],
        )
        try:
            if follow_up is None:
                services.record_follow_up(run.actor, case_file, data, values["requests"], allow_same=True)
                report.created += 1
            else:
                requests = services.clean_follow_up(case_file, data, values["requests"])
                with rollups.persons_changing([follow_up.person_id]):
                    follow_up.date, follow_up.mode, follow_up.duration = data.date, data.mode, data.duration
                    follow_up.save(update_fields=["date", "mode", "duration"])
                    follow_up.requests.all().delete()
                    services.create_requests(follow_up, requests)
                report.updated += 1
        except ValidationError as error:
            raise ValidationError(
                [
                    _("Line %(line)s: %(message)s") % {"line": plan.line, "message": message}
                    for message in error.messages
                ]
            ) from None
