"""Schemathesis hooks for ``tests/test_openapi.py``.

One disagreement between the server and ``docs/openapi.yaml`` is known and
accepted here until its fix lands (issue 10, section 3: names are strings):
the server still takes a number as a first or last name, which the schema
rightly refuses. Delete this hook with that fix."""

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData

_NAMES = ("first_name", "last_name")


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    body = case.body if isinstance(case.body, dict) else {}
    numeric_name = any(isinstance(body.get(name), (int, float)) and not isinstance(body.get(name), bool)
                       for name in _NAMES)
    return not (isinstance(failure, AcceptedNegativeData) and numeric_name)
