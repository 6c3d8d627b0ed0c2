"""Transitions that the law pairs with a slip render it after commit (Mẫu 01 on intake)."""

from __future__ import annotations

from typing import Any

import pytest
from dossiers_support import Clock, World

from egov.core.errors import ValidationFailed
from egov.dossiers.models import DossierSlip


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_receiving_renders_the_receipt_after_commit(
    world: World,
    clock: Clock,
    receive: Any,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        dossier = receive()
    slips = list(DossierSlip.objects.filter(dossier=dossier))
    assert [slip.form for slip in slips] == ["01"]
    assert slips[0].stored_file.size > 1000
    assert slips[0].sha256 == slips[0].stored_file.sha256


def test_a_failed_intake_enqueues_no_slip(
    world: World,
    clock: Clock,
    receive: Any,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationFailed),
    ):
        receive(form_data={"not": "the form"})
    assert callbacks == []
    assert DossierSlip.objects.count() == 0
