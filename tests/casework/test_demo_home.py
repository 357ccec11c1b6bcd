from __future__ import annotations

from django.urls import reverse

from maillage.casework.models import Activity, FollowUp, Participation, Person, Request
from maillage.core.demo_context import DemoContext
from tests.casework.factories import CaseFileFactory, PersonFactory
from tests.conftest import client_for


def test_demo_loads_a_few_hundred_coded_follow_ups(db):
    from maillage.casework import demo as casework_demo
    from maillage.core import demo as core_demo

    context = DemoContext()
    core_demo.load(context)
    casework_demo.load(context)
    sud_est = context.organisations["CSS Sud-Est"]
    assert Person.objects.filter(organisation=sud_est).count() == 70
    assert FollowUp.objects.filter(organisation=sud_est).count() == 320
    assert FollowUp.objects.count() == 500
    assert Request.objects.filter(organisation=sud_est).count() >= 320
    assert Activity.objects.filter(organisation=sud_est).count() == 3
    assert Participation.objects.exists()
    assert sud_est.casework_settings.store_identities is True


def test_home_panel_lists_my_open_case_files(organisation, worker, casework_schemes):
    CaseFileFactory(person=PersonFactory(organisation=organisation, reference="P-000777"), workers=[worker])
    response = client_for(worker).get(reverse("core:home"))
    panels = [p for p, _body in response.context["panels"] if p.template == "casework/panels/my_files.html"]
    assert [f.person.reference for f in panels[0].context["files"]] == ["P-000777"]
    assert "P-000777" in response.content.decode()
