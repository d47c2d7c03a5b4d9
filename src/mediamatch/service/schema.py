"""OpenAPI descriptions of the bodies that routes read themselves (``/v1/hash``, ``/v1/match``,
``/photodna/v1.0/Match``).

Those routes take an image or video as the raw body, multipart files, or JSON items, so FastAPI
cannot infer a schema from a parameter; these fragments (``openapi_extra``) describe every form,
and the replies, so that a client generated from ``/openapi.json`` can send an image and read
the matches. They describe what ``service.inputs`` and ``service.work`` do; a test keeps them
in step by validating real replies against them.
"""

from __future__ import annotations

from typing import Any

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "message"],
    "properties": {
        "kind": {"type": "string", "description": "The domain error's name, e.g. UnsupportedMedia."},
        "message": {"type": "string"},
        "status": {"type": "integer", "description": "The HTTP status this item alone would get."},
    },
}

JSON_ITEM: dict[str, Any] = {
    "type": "object",
    "description": 'One of "image", "url" or (for matching only) "hashes".',
    "properties": {
        "name": {"type": "string", "description": "Echoed nowhere; for the caller's own logs."},
        "image": {"type": "string", "format": "byte", "description": "The file, base64."},
        "url": {"type": "string", "format": "uri", "description": "Fetched under the fetch policy."},
        "hashes": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": 'Hashes made by the caller, by algorithm: {"pdq": "<64 hex>"}.',
        },
    },
}


def request_body(*, hashes_allowed: bool) -> dict[str, Any]:
    """Every form of body the route accepts.

    The JSON body is one object type (``items``, or one item's own fields), not a ``oneOf`` of
    the two forms, and an item says in words which of its fields it needs rather than with an
    ``anyOf`` of ``required`` lists: client generators turn such unions into untyped values."""
    kinds = ["image", "url", "hashes"] if hashes_allowed else ["image", "url"]
    properties = {k: v for k, v in JSON_ITEM["properties"].items() if k in [*kinds, "name"]}
    needs = ", ".join(f'"{kind}"' for kind in kinds)
    item = {**JSON_ITEM, "description": f"One of {needs}.", "properties": properties}
    body = {
        "type": "object",
        "description": f'{{"items": [...]}} for several items, or one item\'s own fields (one of {needs}).',
        "properties": {"items": {"type": "array", "items": item}, **properties},
    }
    return {
        "required": True,
        "content": {
            "application/json": {"schema": body},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                    "description": "Any number of file parts (each is one item).",
                }
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "image/*": {"schema": {"type": "string", "format": "binary"}},
            "video/*": {"schema": {"type": "string", "format": "binary"}},
        },
    }


MATCH: dict[str, Any] = {
    "type": "object",
    "required": ["bank", "entry_id", "algorithm", "verified"],
    "properties": {
        "bank": {"type": "string"},
        "entry_id": {"type": "integer"},
        "external_id": {"type": ["string", "null"]},
        "classification": {"type": ["string", "null"], "enum": ["A1", "A2", "B1", "B2", None]},
        "algorithm": {"type": "string"},
        "verified": {
            "type": "boolean",
            "description": "The bank picture's keypoints were found in the upload (see the README).",
        },
        "distance": {"type": "integer", "description": "Only for keys with match:distance."},
        "variant": {"type": "string", "description": "Only for keys with match:distance."},
        "video": {"type": "object"},
    },
}


def _reply(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["tracking_id", "results"],
        "properties": {"tracking_id": {"type": "string"}, "results": {"type": "array", "items": result}},
    }


MATCH_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["index"],
    "properties": {
        "index": {"type": "integer"},
        "matches": {"type": "array", "items": MATCH},
        "suppressed": {
            "type": "array",
            "items": MATCH,
            "description": "Hits cancelled because a suppression bank (known false positives) matched too.",
        },
        "suppressed_by": {"type": "array", "items": MATCH, "description": "The suppression banks' hits."},
        "held": {
            "type": "array",
            "items": MATCH,
            "description": (
                "Entries a perceptual hash met on a layout-dominated upload (a document, form, chart, "
                "diagram, icon or app screen), where a sibling of one template cannot be told from a "
                "copy: leads for review, never matches."
            ),
        },
        "low_quality": {"type": "array", "items": {"type": "string"}},
        "error": ERROR,
        "algorithms": {"type": "array", "items": {"type": "string"}, "description": "Applied, when not all."},
    },
}

HASH_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["index"],
    "properties": {
        "index": {"type": "integer"},
        "hashes": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"hash": {"type": "string"}, "quality": {"type": ["integer", "null"]}},
            },
        },
        "error": ERROR,
    },
}

FAILED: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": ERROR, "tracking_id": {"type": "string"}},
}


WHY = {
    400: "Malformed request.",
    401: "No API key, or an unknown or revoked one.",
    403: "The key lacks the route's scope.",
    404: "No such bank, entry, report or match.",
    409: "Conflicts with what exists (a bank of that name, a report's state).",
    413: "Too large a body or item.",
    415: "Not an image or video.",
    422: "A value the route cannot take (a hash, a bank setting, a period, an item that does not decode).",
    429: "Rate limit or quota spent (Retry-After).",
    502: "NCMEC's service failed.",
    503: "Index loading, database away, decoding or auditing backlog full (Retry-After).",
}


def document_errors(spec: dict[str, Any], statuses: set[int]) -> dict[str, Any]:
    """Add to every ``/v1/`` operation of ``spec`` the error statuses the service can answer with
    (``statuses``, from ``errors.STATUS``, and FastAPI's 422), each with the error body, where the
    operation does not already describe them. Returns ``spec``."""
    body = {"application/json": {"schema": FAILED}}
    for path, operations in spec.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses | {422}):
                responses.setdefault(str(status), {"description": WHY.get(status, "Error."), "content": body})
    return spec


def openapi_extra(kind: str) -> dict[str, Any]:
    """``openapi_extra`` for ``/v1/match`` (``kind`` "match") or ``/v1/hash`` ("hash")."""
    result = MATCH_RESULT if kind == "match" else HASH_RESULT
    return {
        "requestBody": request_body(hashes_allowed=kind == "match"),
        "responses": {
            "200": {
                "description": "One result per item.",
                "content": {"application/json": {"schema": _reply(result)}},
            },
        },
    }


PHOTODNA_STATUS: dict[str, Any] = {
    "type": "object",
    "required": ["Code", "Description", "Exception"],
    "properties": {
        "Code": {
            "type": "integer",
            "enum": [3000, 3002, 3004, 3206, 3208],
            "description": "3000 OK; 3002 invalid request; 3004 internal error or index not ready; "
            "3206 not a supported image; 3208 under 160 x 160 pixels, over 4 MB, or too flat.",
        },
        "Description": {"type": "string"},
        "Exception": {"type": ["string", "null"], "description": "Always null."},
    },
}

PHOTODNA_FLAG: dict[str, Any] = {
    "type": "object",
    "required": ["AdvancedInfo", "Source", "Violations"],
    "properties": {
        "Source": {"type": "string", "description": "The bank that matched."},
        "Violations": {"type": "array", "items": {"type": "string"}, "description": "Its classification."},
        "AdvancedInfo": {
            "type": "array",
            "description": "MatchId: the bank entry's id (feedback and curation name it).",
            "items": {
                "type": "object",
                "required": ["Key", "Value"],
                "properties": {"Key": {"type": "string"}, "Value": {"type": "string"}},
            },
        },
        "MatchDistance": {"type": "integer", "description": "Only for keys with match:distance."},
    },
}

PHOTODNA_REPLY: dict[str, Any] = {
    "type": "object",
    "required": ["Status", "ContentId", "TrackingId", "XPartnerCustomerId"],
    "properties": {
        "Status": PHOTODNA_STATUS,
        "ContentId": {
            "type": ["string", "null"],
            "description": "The ContentId of the query string, else of the JSON body, echoed.",
        },
        "TrackingId": {"type": "string"},
        "XPartnerCustomerId": {"type": "null"},
        "IsMatch": {"type": "boolean", "description": "Only with code 3000."},
        "MatchDetails": {
            "type": "object",
            "required": ["AdvancedInfo", "MatchFlags"],
            "properties": {
                "AdvancedInfo": {"type": "array", "items": {"type": "object"}},
                "MatchFlags": {"type": "array", "items": PHOTODNA_FLAG},
            },
        },
    },
}


GATEWAY_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["statusCode", "message"],
    "properties": {"statusCode": {"type": "integer"}, "message": {"type": "string"}},
}
GATEWAY_STATUSES = {
    401: "No key, or an unknown or revoked one (the gateway's shape).",
    403: "The key lacks the match scope (the gateway's shape).",
    429: "Rate limit or monthly quota reached (the gateway's shape; Retry-After).",
}


def photodna_openapi_extra() -> dict[str, Any]:
    """``openapi_extra`` for ``POST /photodna/v1.0/Match``: PhotoDNA Cloud's request and answer."""
    reference = {
        "type": "object",
        "required": ["DataRepresentation", "Value"],
        "properties": {
            "DataRepresentation": {
                "type": "string",
                "enum": ["URL", "Inline"],
                "description": "Case ignored.",
            },
            "Value": {"type": "string", "description": "The image's URL, or the image itself in base64."},
            "ContentId": {"type": "string", "description": "The caller's own id, if not in the query."},
        },
    }
    reply = {"application/json": {"schema": PHOTODNA_REPLY}}
    return {
        "parameters": [
            {
                "name": "ContentId",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "The caller's own id for the image, echoed in the answer.",
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": reference},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "image/*": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        "responses": {
            "200": {
                "description": "Status 3000 with the match, or another PhotoDNA status code.",
                "content": reply,
            },
            **{
                str(status): {
                    "description": meaning,
                    "content": {"application/json": {"schema": GATEWAY_ERROR}},
                }
                for status, meaning in GATEWAY_STATUSES.items()
            },
        },
    }
