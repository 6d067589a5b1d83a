"""Schemathesis hooks for end2end/api-fuzz.sh.

A cursor (`cursor`, `after`) is valid only as a previous response gave it; the document
says so, but no schema can. Positive cases therefore leave invented cursors out (the
request is then a first page, which must succeed); negative cases keep them, so a cursor
of the wrong type or a malformed one must still be refused. One false alarm of the
negative-data check is dropped (see filter_failure).
"""

import json

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from urllib.parse import parse_qsl, urlsplit

CURSORS = ("cursor", "after")


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None:
        return case
    if isinstance(case.query, dict) and not meta.is_negative_at(ParameterLocation.QUERY):
        for name in CURSORS:
            case.query.pop(name, None)
    if isinstance(case.body, dict) and not meta.is_negative_at(ParameterLocation.BODY):
        for name in CURSORS:
            case.body.pop(name, None)
    return case



# Where a negative case's mutation is visible whatever its value: the request was
# generated to be invalid there, so acceptance is a real failure.
_ELSEWHERE = (ParameterLocation.PATH, ParameterLocation.HEADER, ParameterLocation.COOKIE, ParameterLocation.BODY)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Drops one false alarm of the negative-data check, and only that one: a "schema-
    violating request accepted" whose query, as sent, fits the document. The generator
    breaks the schema with a boolean or a number where it wants an array of strings
    (`?fields=0.0`, `?filter=false`) or with an empty object that sends nothing (`limit`),
    but once the query is text those are valid strings or absent optional parameters. A
    sent parameter the document does not declare, or whose text does not fit its schema
    as the document's value (a text, or a number or boolean written as text), keeps the
    failure; so does every other failure."""
    if not isinstance(failure, AcceptedNegativeData):
        return True
    meta = case.meta
    if meta is not None and any(meta.is_negative_at(location) for location in _ELSEWHERE):
        return True
    sent = {}
    for name, value in parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True):
        sent.setdefault(name, []).append(value)
    declared = {p.name: p for p in case.operation.query}
    if any(p.is_required and name not in sent for name, p in declared.items()):
        return True
    fits = lambda name, values: name in declared and any(
        declared[name].is_valid(candidate) for candidate in _as_document_values(values)
    )
    return not all(fits(name, values) for name, values in sent.items())


def _as_document_values(values):
    """What the texts of one query parameter can stand for in the document: the list, the
    one text, or that text read as a JSON number or boolean (`offset=2483475` is the
    integer the document asks for, sent as text as every query value is)."""
    yield values
    if len(values) == 1:
        yield values[0]
        try:
            yield json.loads(values[0])
        except ValueError:
            pass
