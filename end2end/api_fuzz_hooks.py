"""Schemathesis hooks for end2end/api-fuzz.sh.

A cursor (`cursor`, `after`) is valid only as a previous response gave it; the document
says so, but no schema can. Positive cases therefore leave invented cursors out (the
request is then a first page, which must succeed); negative cases keep them, so a cursor
of the wrong type or a malformed one must still be refused.
"""

import schemathesis
from schemathesis.core.parameters import ParameterLocation

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
