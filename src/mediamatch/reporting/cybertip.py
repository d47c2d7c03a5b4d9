"""The content of a CyberTipline report and of a file's details, and their XML.

Field names are NCMEC's element names in snake_case (``esp_identifier`` for
``<espIdentifier>``), so a reader of NCMEC's schema documentation recognises them; lists
are named in the plural. ``report_from_json`` and ``file_options_from_json`` validate a
caller's JSON and raise ``InvalidReport`` naming the first bad field (``reporter.
reporting_person.email``), before anything is sent. ``report_xml`` and
``file_details_xml`` write elements in the order NCMEC's schema requires; empty optional
values are left out rather than sent empty.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, ClassVar, TypeVar
from xml.etree import ElementTree

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from mediamatch.errors import InvalidReport
from mediamatch.store import Classification

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[str, StringConstraints(pattern=EMAIL, max_length=254)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]


class IncidentType(enum.Enum):
    """NCMEC's incident types; the API takes the member name in lower case."""

    CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
    CHILD_SEX_TRAFFICKING = "Child Sex Trafficking"
    CHILD_SEX_TOURISM = "Child Sex Tourism"
    CHILD_SEXUAL_MOLESTATION = "Child Sexual Molestation"
    MISLEADING_DOMAIN_NAME = "Misleading Domain Name"
    MISLEADING_WORDS_OR_DIGITAL_IMAGES = "Misleading Words or Digital Images on the Internet"
    ONLINE_ENTICEMENT = "Online Enticement of Children for Sexual Acts"
    UNSOLICITED_OBSCENE_MATERIAL = "Unsolicited Obscene Material Sent to a Child"


class IpEvent(enum.Enum):
    LOGIN = "Login"
    REGISTRATION = "Registration"
    PURCHASE = "Purchase"
    UPLOAD = "Upload"
    OTHER = "Other"
    UNKNOWN = "Unknown"


class FileAnnotation(enum.Enum):
    """Tags NCMEC accepts under ``<fileAnnotations>``, sent as empty elements."""

    ANIME_DRAWING_VIRTUAL_HENTAI = "animeDrawingVirtualHentai"
    POTENTIAL_MEME = "potentialMeme"
    VIRAL = "viral"
    POSSIBLE_SELF_PRODUCTION = "possibleSelfProduction"
    PHYSICAL_HARM = "physicalHarm"
    VIOLENCE_GORE = "violenceGore"
    BESTIALITY = "bestiality"
    LIVE_STREAMING = "liveStreaming"
    INFANT = "infant"
    GENERATIVE_AI = "generativeAi"


class _Element(BaseModel):
    """A model written as one XML element; fields become children in declaration order."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)
    xml_names: ClassVar[dict[str, str]] = {}

    def children(self, parent: ElementTree.Element) -> None:
        for name in type(self).model_fields:
            _append(parent, self.xml_names.get(name, _camel(name)), getattr(self, name))


ModelT = TypeVar("ModelT", bound=_Element)


class Person(_Element):
    first_name: Text | None = None
    last_name: Text | None = None
    phones: list[Text] = Field(default_factory=list, max_length=10)
    emails: list[Email] = Field(default_factory=list, max_length=10)
    xml_names: ClassVar[dict[str, str]] = {"phones": "phone", "emails": "email"}


class ReportingPerson(Person):
    """The person at the provider who files the report: NCMEC requires an email address."""

    emails: list[Email] = Field(min_length=1, max_length=10)


class IpCaptureEvent(_Element):
    ip_address: Annotated[str, StringConstraints(pattern=r"^[0-9A-Fa-f:.]{2,45}$")]
    event_name: IpEvent | None = None
    date_time: AwareDatetime | None = None
    possible_proxy: bool | None = None


class IncidentSummary(_Element):
    incident_type: IncidentType
    incident_date_time: AwareDatetime


class WebPageIncident(_Element):
    urls: list[Url] = Field(min_length=1, max_length=100)
    additional_info: Text | None = None
    xml_names: ClassVar[dict[str, str]] = {"urls": "url"}


class InternetDetails(_Element):
    web_page_incident: WebPageIncident


class LawEnforcement(_Element):
    agency_name: Text
    case_number: Text | None = None
    officer_contact: Person | None = None


class Reporter(_Element):
    reporting_person: ReportingPerson
    contact_person: Person | None = None
    company_template: Text | None = None
    terms_of_service: Text | None = None


class ReportedUser(_Element):
    """``<personOrUserReported>``: the account that uploaded or shared the content."""

    person: Person | None = None
    esp_identifier: Text | None = None
    esp_service: Text | None = None
    screen_name: Text | None = None
    display_name: Text | None = None
    profile_url: Url | None = None
    ip_capture_events: list[IpCaptureEvent] = Field(default_factory=list, max_length=100)
    additional_info: Text | None = None
    xml_names: ClassVar[dict[str, str]] = {
        "person": "personOrUserReportedPerson",
        "ip_capture_events": "ipCaptureEvent",
    }


class Account(_Element):
    """An intended recipient or a victim, as far as the provider knows them."""

    person: Person | None = None
    esp_identifier: Text | None = None
    esp_service: Text | None = None
    screen_name: Text | None = None
    profile_url: Url | None = None


class IntendedRecipient(Account):
    xml_names: ClassVar[dict[str, str]] = {"person": "intendedRecipientPerson"}


class Victim(Account):
    xml_names: ClassVar[dict[str, str]] = {"person": "victimPerson"}


class Report(_Element):
    """A ``<report>``; ``incident_summary`` and ``reporter`` are required."""

    incident_summary: IncidentSummary
    internet_details: list[InternetDetails] = Field(default_factory=list, max_length=100)
    law_enforcement: LawEnforcement | None = None
    reporter: Reporter
    person_or_user_reported: ReportedUser | None = None
    intended_recipients: list[IntendedRecipient] = Field(default_factory=list, max_length=100)
    victims: list[Victim] = Field(default_factory=list, max_length=100)
    additional_info: Text | None = None
    xml_names: ClassVar[dict[str, str]] = {
        "internet_details": "internetDetails",
        "intended_recipients": "intendedRecipient",
        "victims": "victim",
    }

    def with_additional_info(self, text: str) -> Report:
        joined = "\n\n".join(part for part in (self.additional_info, text) if part)
        return self.model_copy(update={"additional_info": joined[:4000]})


class FileOptions(_Element):
    """What the caller says about a file it uploads (``POST /v1/reports/{id}/files``)."""

    original_file_name: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    location_of_file: Url | None = None
    file_viewed_by_esp: bool | None = None
    exif_viewed_by_esp: bool | None = None
    publicly_available: bool | None = None
    file_annotations: list[FileAnnotation] = Field(default_factory=list)
    industry_classification: Classification | None = None
    ip_capture_events: list[IpCaptureEvent] = Field(default_factory=list, max_length=100)
    additional_info: Text | None = None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _append(parent: ElementTree.Element, tag: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _append(parent, tag, item)
        return
    child = ElementTree.SubElement(parent, tag)
    if isinstance(value, _Element):
        value.children(child)
    else:
        child.text = _text(value)


def _document(root: ElementTree.Element) -> bytes:
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def report_xml(report: Report) -> bytes:
    """The ``<report>`` document for ``POST /submit``."""
    root = ElementTree.Element("report")
    report.children(root)
    return _document(root)


def file_details_xml(
    report_id: str, file_id: str, options: FileOptions, file_hashes: Iterable[tuple[str, str]]
) -> bytes:
    """The ``<fileDetails>`` document for ``POST /fileinfo``; ``file_hashes`` are (type, hex)
    pairs of the original file, such as ("MD5", "...")."""
    root = ElementTree.Element("fileDetails")
    _append(root, "reportId", report_id)
    _append(root, "fileId", file_id)
    for name in ("original_file_name", "location_of_file", "file_viewed_by_esp"):
        _append(root, _camel(name), getattr(options, name))
    _append(root, "exifViewedByEsp", options.exif_viewed_by_esp)
    _append(root, "publiclyAvailable", options.publicly_available)
    _append(root, "fileRelevance", "Reported")
    if options.file_annotations:
        annotations = ElementTree.SubElement(root, "fileAnnotations")
        for annotation in options.file_annotations:
            ElementTree.SubElement(annotations, annotation.value)
    _append(root, "industryClassification", options.industry_classification)
    for kind, value in file_hashes:
        ElementTree.SubElement(root, "originalFileHash", hashType=kind).text = value
    _append(root, "ipCaptureEvent", options.ip_capture_events)
    _append(root, "additionalInfo", options.additional_info)
    return _document(root)


def _field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _parse(model: type[ModelT], data: Any, prefix: str) -> ModelT:
    if not isinstance(data, dict):
        raise InvalidReport(prefix or "body", "must be a JSON object")
    try:
        return model.model_validate(_enum_names(data))
    except ValidationError as error:
        first = error.errors()[0]
        field = _field_path((prefix, *first["loc"]) if prefix else tuple(first["loc"]))
        raise InvalidReport(field or prefix, _message(first)) from None


def _message(error: Any) -> str:
    """Pydantic's message, except for an enumeration: the names the API takes, not NCMEC's texts."""
    names = [part for part in error["loc"] if isinstance(part, str) and part in _MEMBERS]
    if error.get("type") != "enum" or not names:
        return str(error["msg"])
    accepted = ", ".join(member.lower() for member in _MEMBERS[names[-1]].__members__)
    return f"must be one of {accepted} (or NCMEC's own text for it)"


_ENUM_FIELDS = {"incident_type", "event_name", "file_annotations", "industry_classification"}


def _enum_names(data: Any) -> Any:
    """Accept enum members by lower-case name (``child_pornography``) as well as NCMEC's text."""
    if isinstance(data, list):
        return [_enum_names(item) for item in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = _member(key, value) if key in _ENUM_FIELDS else _enum_names(value)
    return out


_MEMBERS: dict[str, type[enum.Enum]] = {
    "incident_type": IncidentType,
    "event_name": IpEvent,
    "file_annotations": FileAnnotation,
    "industry_classification": Classification,
}


def _member(key: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_member(key, item) for item in value]
    kind = _MEMBERS[key]
    if isinstance(value, str) and re.fullmatch(r"[a-z0-9_]+", value) and value.upper() in kind.__members__:
        return kind[value.upper()]
    return value


def report_from_json(data: Any) -> Report:
    """A validated report, or InvalidReport naming the field (``report.reporter...``)."""
    return _parse(Report, data, "report")


def file_options_from_json(data: Any) -> FileOptions:
    """Validated file options, or InvalidReport naming the field."""
    return _parse(FileOptions, data, "")
