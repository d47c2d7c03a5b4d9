"""A bounded schemathesis run against /openapi.json, with its checks on: no request shape may cause
a 5xx, and every answer must be one the schema describes (status, content type, body, headers).

Schemathesis generates the requests from the published schema; they are sent through the
test's own client, so the app runs with its index loaded, as in production. Two checks are left
out, each for a stated reason:

- ``ignored_auth`` re-sends a request without its key through its own transport, which cannot
  reach this in-process app; refused keys are tested in ``test_api.py``;
- ``positive_data_acceptance`` counts as valid every body the schema admits, and no schema can
  say "an image that decodes" or "a bank setting of a known algorithm": those are refused with the
  documented 4xx (415, 422), as the README's hostile-input answers say.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.service.conftest import Service

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev extra")

EXAMPLES_PER_OPERATION = 12
_checks = pytest.importorskip("schemathesis.specs.openapi.checks")
EXCLUDED = [_checks.ignored_auth, _checks.positive_data_acceptance]


def send(service: Service, case: Any) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=service.headers("admin"))
    kwargs.pop("cookies", None)
    if "data" in kwargs:
        data = kwargs.pop("data")
        kwargs["content" if isinstance(data, bytes | str) else "data"] = data
    if kwargs.get("files"):  # parts as the client library wants them: bytes (schemathesis may make numbers)
        kwargs["files"] = [(name, _part(value)) for name, value in _pairs(kwargs["files"])]
    return service.client.request(**kwargs)


def _pairs(files: Any) -> list[tuple[str, Any]]:
    return list(files.items()) if isinstance(files, dict) else list(files)


def _part(value: Any) -> Any:
    if isinstance(value, tuple):
        name, content, *rest = value
        return (name, _part(content), *rest)
    return value if isinstance(value, bytes) else str(value).encode()


def test_no_request_causes_a_server_error_or_an_answer_the_schema_does_not_describe(
    service: Service,
) -> None:
    schema = schemathesis.openapi.from_dict(service.client.get("/openapi.json").json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures: list[str] = []
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = send(service, case)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
                )
            try:
                case.validate_response(response, excluded_checks=EXCLUDED)
            except BaseException as error:  # schemathesis reports a group of failures
                if isinstance(error, KeyboardInterrupt):
                    raise
                failures.append(f"{case.method} {case.formatted_path}: {str(error).splitlines()[:6]}")

        check()
    assert failures == []
