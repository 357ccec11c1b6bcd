from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from maillage.env import env_bool, env_choice, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]


def test_env_bool_reads_true_and_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILLAGE_X", "Yes")
    assert env_bool("MAILLAGE_X", False) is True
    monkeypatch.setenv("MAILLAGE_X", "off")
    assert env_bool("MAILLAGE_X", True) is False
    monkeypatch.delenv("MAILLAGE_X")
    assert env_bool("MAILLAGE_X", True) is True


def test_env_bool_refuses_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILLAGE_X", "perhaps")
    with pytest.raises(ImproperlyConfigured, match=r"^MAILLAGE_X='perhaps' is not a boolean: use true or false\.$"):
        env_bool("MAILLAGE_X", False)


def test_env_int_refuses_words_and_small_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILLAGE_N", "ten")
    with pytest.raises(ImproperlyConfigured, match=r"^MAILLAGE_N='ten' is not a whole number\.$"):
        env_int("MAILLAGE_N", 1)
    monkeypatch.setenv("MAILLAGE_N", "2")
    with pytest.raises(ImproperlyConfigured, match=r"^MAILLAGE_N=2 must be at least 5\.$"):
        env_int("MAILLAGE_N", 10, minimum=5)
    monkeypatch.setenv("MAILLAGE_N", "12")
    assert env_int("MAILLAGE_N", 10, minimum=5) == 12


def test_env_list_and_choice_and_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILLAGE_HOSTS", " a.be, ,b.be ")
    assert env_list("MAILLAGE_HOSTS") == ["a.be", "b.be"]
    assert env_list("MAILLAGE_UNSET", ["x"]) == ["x"]
    monkeypatch.setenv("MAILLAGE_MODE", "staging")
    with pytest.raises(ImproperlyConfigured, match=r"^MAILLAGE_MODE='staging' is not one of: a, b\.$"):
        env_choice("MAILLAGE_MODE", ("a", "b"), "a")
    assert env_choice("MAILLAGE_UNSET", ("a", "b"), "b") == "b"
    monkeypatch.setenv("MAILLAGE_BLANK", "   ")
    assert env_str("MAILLAGE_BLANK", "default") == "default"
    with pytest.raises(ImproperlyConfigured, match=r"^MAILLAGE_BLANK must be set"):
        env_str("MAILLAGE_BLANK", required=True)


def _django_setup(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value for key, value in os.environ.items() if not key.startswith(("MAILLAGE_", "DATABASE_URL", "DJANGO_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "maillage", *command],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_without_secret_key_stops_with_a_clear_line(tmp_path: Path) -> None:
    result = _django_setup({"MAILLAGE_ENV": "production", "MAILLAGE_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode == 1
    assert "MAILLAGE_SECRET_KEY must be set (see README, 'Production')." in result.stderr


def test_bad_boolean_stops_start_up(tmp_path: Path) -> None:
    result = _django_setup({"MAILLAGE_REQUIRE_2FA": "maybe", "MAILLAGE_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode == 1
    assert "MAILLAGE_REQUIRE_2FA='maybe' is not a boolean: use true or false." in result.stderr


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    env = {
        "MAILLAGE_ENV": "production",
        "MAILLAGE_SECRET_KEY": "k" * 20 + "Zy7-Qx_2pLm9" * 4,
        "MAILLAGE_ALLOWED_HOSTS": "maillage.example.org",
        "DATABASE_URL": "postgres://maillage@127.0.0.1:5432/maillage",
        "MAILLAGE_EMAIL_HOST": "smtp.example.org",
        "MAILLAGE_VAR_DIR": str(tmp_path),
    }
    result = _django_setup(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


@pytest.mark.slow(seconds=12)
def test_demo_settings_generate_a_secret_key_once(tmp_path: Path) -> None:
    first = _django_setup({"MAILLAGE_VAR_DIR": str(tmp_path)}, "check")
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret_key").read_text()
    second = _django_setup({"MAILLAGE_VAR_DIR": str(tmp_path)}, "check")
    assert second.returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
    assert len(key) >= 50


def test_the_demo_shows_error_pages_not_tracebacks(tmp_path: Path) -> None:
    """DEBUG is off unless a developer asks for it: a visitor of the demo never sees Django's debug page."""
    show = ["shell", "-c", "from django.conf import settings; print(settings.DEBUG, settings.WHITENOISE_USE_FINDERS)"]
    assert _django_setup({"MAILLAGE_VAR_DIR": str(tmp_path)}, *show).stdout.splitlines()[-1] == "False True"
    asked = _django_setup({"MAILLAGE_VAR_DIR": str(tmp_path), "MAILLAGE_DEBUG": "true"}, *show)
    assert asked.stdout.splitlines()[-1] == "True True"
