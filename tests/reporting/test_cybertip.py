"""Report details: validation that names the field, and XML in the schema's order."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import xmlschema

from mediamatch.errors import InvalidReport
from mediamatch.reporting.cybertip import (
    FileAnnotation,
    IncidentType,
    file_details_xml,
    file_options_from_json,
    report_from_json,
    report_xml,
)
from mediamatch.store import Classification
from tests.reporting.conftest import report_details

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("ncmec_subset.xsd"))


def test_a_full_report_is_valid_for_the_schema_in_order() -> None:
    details = report_details(
        law_enforcement={"agency_name": "County Sheriff", "case_number": "C-1"},
        victims=[{"screen_name": "kid"}],
        intended_recipients=[{"esp_identifier": "user-2", "person": {"first_name": "R"}}],
        additional_info="seen in a public album",
    )
    document = report_xml(report_from_json(details))
    root = ElementTree.fromstring(document)
    SCHEMA.validate(root)
    assert [child.tag for child in root] == [
        "incidentSummary",
        "internetDetails",
        "lawEnforcement",
        "reporter",
        "personOrUserReported",
        "intendedRecipient",
        "victim",
        "additionalInfo",
    ]
    assert root.findtext("incidentSummary/incidentType") == IncidentType.CHILD_PORNOGRAPHY.value
    assert root.findtext("personOrUserReported/ipCaptureEvent/eventName") == "Upload"
    assert root.find("intendedRecipient/intendedRecipientPerson") is not None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"reporter": {"reporting_person": {"first_name": "No email"}}},
            "report.reporter.reporting_person.emails",
        ),
        (
            {"reporter": {"reporting_person": {"emails": ["not-an-email"]}}},
            "report.reporter.reporting_person.emails[0]",
        ),
        (
            {"incident_summary": {"incident_type": "child_pornography"}},
            "report.incident_summary.incident_date_time",
        ),
        (
            {"incident_summary": {"incident_type": "nonsense", "incident_date_time": "2026-01-01T00:00:00Z"}},
            "report.incident_summary.incident_type",
        ),
        (
            {
                "incident_summary": {
                    "incident_type": "child_pornography",
                    "incident_date_time": "2026-01-01T00:00",
                }
            },
            "report.incident_summary.incident_date_time",
        ),
        ({"surprise": 1}, "report.surprise"),
        (
            {"internet_details": [{"web_page_incident": {"urls": ["ftp://x"]}}]},
            "report.internet_details[0].web_page_incident.urls[0]",
        ),
    ],
)
def test_invalid_details_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidReport) as raised:
        report_from_json(report_details(**change))
    assert raised.value.field == field


def test_a_bad_enumeration_lists_the_names_the_api_takes() -> None:
    with pytest.raises(InvalidReport) as raised:
        report_from_json(report_details(incident_summary={"incident_type": "nope"}))
    assert raised.value.field == "report.incident_summary.incident_type"
    assert "must be one of child_pornography, child_sex_trafficking" in str(raised.value)
    assert "(possession" not in str(raised.value)  # not NCMEC's display texts


def test_a_report_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidReport, match="report: must be a JSON object"):
        report_from_json(["not", "an", "object"])


def test_file_details_are_valid_for_the_schema() -> None:
    options = file_options_from_json(
        {
            "file_viewed_by_esp": True,
            "publicly_available": False,
            "file_annotations": ["generative_ai", "infant"],
            "industry_classification": "a1",
            "original_file_name": "upload.jpg",
        }
    )
    assert options.industry_classification is Classification.A1
    assert options.file_annotations == [FileAnnotation.GENERATIVE_AI, FileAnnotation.INFANT]
    document = file_details_xml("4564654", "abc", options, [("MD5", "0" * 32), ("SHA1", "1" * 40)])
    root = ElementTree.fromstring(document)
    SCHEMA.validate(root)
    assert root.findtext("fileViewedByEsp") == "true"
    assert root.findtext("industryClassification") == "A1"
    assert [e.get("hashType") for e in root.findall("originalFileHash")] == ["MD5", "SHA1"]
    assert root.find("fileAnnotations/generativeAi") is not None


def test_bad_file_options_name_the_field() -> None:
    with pytest.raises(InvalidReport) as raised:
        file_options_from_json({"industry_classification": "C9"})
    assert raised.value.field == "industry_classification"
