"""The committed OpenAPI document matches the code, and the live one is served."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def openapi_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "egov_openapi_script", ROOT / "scripts/openapi.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_document_is_up_to_date(openapi_script: ModuleType) -> None:
    ok, lines = openapi_script.check()
    assert ok, "\n".join(lines)


def test_generation_is_deterministic(openapi_script: ModuleType) -> None:
    assert openapi_script.generate() == openapi_script.generate()


def test_check_reports_a_stale_document(openapi_script: ModuleType, tmp_path: Path) -> None:
    document = json.loads(openapi_script.generate())
    document["paths"]["/api/v1/old-endpoint"] = {"get": {"responses": {}}}
    del document["paths"]["/api/v1/me"]
    stale = tmp_path / "openapi.json"
    stale.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    ok, lines = openapi_script.check(stale)
    assert not ok
    assert "  + path /api/v1/me (get)" in lines
    assert "  - path /api/v1/old-endpoint (get)" in lines
    assert any(line.startswith("---") for line in lines)


def test_check_reports_a_missing_document(openapi_script: ModuleType, tmp_path: Path) -> None:
    ok, lines = openapi_script.check(tmp_path / "absent.json")
    assert not ok
    assert "missing" in lines[0]


def test_main_exit_codes(openapi_script: ModuleType, tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    assert openapi_script.main(["--check", "--file", str(target)]) == 1
    assert openapi_script.main(["--write", "--file", str(target)]) == 0
    assert openapi_script.main(["--check", "--file", str(target)]) == 0


def test_live_document_is_served_and_declares_problem_answers(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert set(document["components"]["securitySchemes"]) == {
        "ApiKeyBearer",
        "ApiKeyHeader",
        "SessionCookie",
    }
    not_found = document["paths"]["/api/v1/organizations/{code}"]["get"]["responses"]["404"]
    assert list(not_found["content"]) == ["application/problem+json"]


def test_operation_ids_are_unique(openapi_script: ModuleType) -> None:
    document = json.loads(openapi_script.generate())
    ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))


def test_committed_document_is_a_valid_openapi_document() -> None:
    import json

    from openapi_spec_validator import validate

    from egov.settings import PROJECT_DIR

    document = json.loads((PROJECT_DIR / "docs" / "api" / "openapi.json").read_text("utf-8"))
    validate(document)  # raises with the failing path when the document is not valid


def test_every_operation_declares_its_error_answers_as_problem_json() -> None:
    from egov.api.api import api

    document = api.get_openapi_schema()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            errors = {
                code: answer
                for code, answer in operation["responses"].items()
                if str(code).startswith("4")
            }
            assert errors, f"{method.upper()} {path} declares no error answer"
            for answer in errors.values():
                assert list(answer["content"]) == ["application/problem+json"], (method, path)
