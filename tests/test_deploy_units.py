"""The systemd units of deploy/systemd/ name commands and units that exist."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from django.core.management import get_commands

UNITS = Path(__file__).resolve().parents[1] / "deploy" / "systemd"


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def _maillage_command(exec_start: str) -> str | None:
    match = re.search(r"/\.venv/bin/maillage (\S+)", exec_start)
    return match.group(1) if match else None


def test_every_timer_starts_an_existing_unit_and_command() -> None:
    commands = set(get_commands())
    problems = []
    for timer in sorted(UNITS.glob("*.timer")):
        target = _unit(timer)["Timer"]["Unit"]
        if "@" in target:
            template, instance = target.split("@")
            if not (UNITS / f"{template}@.service").exists():
                problems.append(f"{timer.name}: no {template}@.service")
            if instance.removesuffix(".service") not in commands:
                problems.append(f"{timer.name}: no command {instance}")
        elif not (UNITS / target).exists():
            problems.append(f"{timer.name}: no {target}")
    assert problems == []


def test_every_service_runs_a_command_that_exists() -> None:
    commands = set(get_commands()) | {"%i"}
    ran = {}
    for service in sorted(UNITS.glob("*.service")):
        command = _maillage_command(_unit(service)["Service"]["ExecStart"])
        if command is not None:
            ran[service.name] = command
    assert ran == {
        "maillage-backup.service": "backup",
        "maillage-job@.service": "%i",
        "maillage-restore-drill.service": "restore",
        "maillage-worker.service": "db_worker",
    }
    assert set(ran.values()) <= commands


def test_every_scheduled_job_of_the_readme_has_a_timer() -> None:
    readme = (UNITS.parents[1] / "README.md").read_text()
    jobs = set(re.findall(r"`maillage ([a-z_]+)`", readme)) & set(get_commands())
    timed = {_unit(timer)["Timer"]["Unit"].split("@")[-1].removesuffix(".service") for timer in UNITS.glob("*.timer")}
    assert (
        sorted(
            jobs - timed - {"db_worker", "demo", "restore", "backup", "migrate", "createsuperuser", "directory_reindex"}
        )
        == []
    )
