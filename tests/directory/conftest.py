"""Directory test set-up: makes the factories importable as `directory_factories`.

tests/ is not a package (pytest runs with --import-mode=importlib), so the factories module is
loaded from its file under a name no other app's `factories.py` can clash with.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from django.test import Client
from egov_testing import language_client

_NAME = "directory_factories"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).with_name("factories.py"))
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)


@pytest.fixture
def client() -> Client:
    """A client that asks for English, so messages are compared in their source language."""
    return language_client("en")
