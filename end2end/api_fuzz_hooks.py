"""Schemathesis hooks for end2end/api-fuzz.sh.

A cursor (`cursor`, `after`) is valid only as a previous response gave it; the document
says so, but no schema can. Positive cases therefore leave invented cursors out (the
request is then a first page, which must succeed); negative cases keep them, so a cursor
of the wrong type or a malformed one must still be refused.
"""

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import negated_parameters

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


def _unseen_on_the_wire(value):
    """Whether a query value, once sent as text, no longer breaks the schema it was made to
    break: a boolean goes out as "true" or "false", which a string parameter (`fields`,
    `filter`, …) rightly accepts, and an empty object or list sends nothing at all."""
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return all(_unseen_on_the_wire(v) for v in value.values())
    if isinstance(value, list):
        return all(_unseen_on_the_wire(v) for v in value)
    return False


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Drops one false alarm of the negative-data check, and only that one: a "schema-
    violating request accepted" whose every mutated parameter is in the query and cannot be
    seen once the query is text (`?fields=false` was generated as the boolean false for an
    array of strings, `limit` as an empty object that sends nothing). Every other failure,
    and this check on every other request, still fails the run."""
    if not isinstance(failure, AcceptedNegativeData):
        return True
    mutated = list(negated_parameters(case.meta))
    if not mutated or any(location != ParameterLocation.QUERY for _, location in mutated):
        return True
    query = case.query if isinstance(case.query, dict) else {}
    required = {p.name for p in case.operation.query if p.is_required}
    unseen = lambda name: (
        _unseen_on_the_wire(query[name]) if name in query else name not in required
    )
    return not all(unseen(name) for name, _ in mutated)
