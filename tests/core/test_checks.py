import pytest
from pytest_django import Settings as SettingsWrapper

from egov.core.checks import office_hours_check


def test_office_hours_check_accepts_the_defaults() -> None:
    assert office_hours_check() == []


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("EGOV_OFFICE_OPENS", "7h30", "egov.E001"),
        ("EGOV_OFFICE_CLOSES", "25:00", "egov.E002"),
        ("EGOV_INTAKE_CUTOFF", "", "egov.E003"),
    ],
)
def test_office_hours_check_names_the_bad_setting(
    settings: SettingsWrapper, name: str, value: str, check_id: str
) -> None:
    setattr(settings, name, value)
    errors = office_hours_check()
    assert [e.id for e in errors] == [check_id]
    assert name in errors[0].msg


def test_office_hours_check_refuses_opening_after_closing(settings: SettingsWrapper) -> None:
    settings.EGOV_OFFICE_OPENS = "18:00"
    settings.EGOV_OFFICE_CLOSES = "17:00"
    assert [e.id for e in office_hours_check()] == ["egov.E004"]


def test_upload_types_check_names_unknown_kinds(settings: SettingsWrapper) -> None:
    from egov.core.checks import upload_types_check

    settings.EGOV_UPLOAD_ALLOWED_TYPES = ["pdf", "exe"]
    errors = upload_types_check()
    assert [e.id for e in errors] == ["egov.E005"]
    assert "exe" in errors[0].msg
    settings.EGOV_UPLOAD_ALLOWED_TYPES = ["pdf", "png"]
    assert upload_types_check() == []
