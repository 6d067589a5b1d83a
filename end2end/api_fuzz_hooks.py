"""Schemathesis hooks for end2end/api-fuzz.sh.

A cursor (`cursor`, `after`) is valid only as a previous response gave it; the document
says so, but no schema can. Positive cases therefore leave invented cursors out (the
request is then a first page, which must succeed); negative cases keep them, so a cursor
of the wrong type or a malformed one must still be refused. One false alarm of the
negative-data check is dropped (see filter_failure).
"""

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
    violating request accepted" whose query, as sent, holds nothing but "true" and "false"
    (and every required parameter). The generator broke the schema with a boolean where it
    wants an array of strings (`?fields=false`, `?fullTextFilterFields=false`) or with an
    empty object that sends nothing (`limit`), but once the query is text those are valid
    field names or absent optional parameters. Every other failure, and this check on every
    other request, still fails the run."""
    if not isinstance(failure, AcceptedNegativeData):
        return True
    meta = case.meta
    if meta is not None and any(meta.is_negative_at(location) for location in _ELSEWHERE):
        return True
    sent = parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True)
    required = {p.name for p in case.operation.query if p.is_required}
    if not required <= {name for name, _ in sent}:
        return True
    return not all(value in ("true", "false") for _, value in sent)
