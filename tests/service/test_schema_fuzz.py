"""A bounded schemathesis run against /openapi.json: no request shape may cause a 5xx.

Schemathesis generates the requests from the published schema; they are sent through the
test's own client, so the app runs with its index loaded, as in production.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.service.conftest import Service

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev extra")

EXAMPLES_PER_OPERATION = 12


def send(service: Service, case: Any) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=service.headers("admin"))
    kwargs.pop("cookies", None)
    if "data" in kwargs:
        data = kwargs.pop("data")
        kwargs["content" if isinstance(data, bytes | str) else "data"] = data
    return service.client.request(**kwargs)


def test_no_request_causes_a_server_error(service: Service) -> None:
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

        check()
    assert failures == []
