"""secondline: decision support for relapsed or refractory ALL and hairy cell leukaemia.

It lists the options that its cited patient-information sources describe for a case,
with reasons, exclusions, missing information and citations. It supports, and never
replaces, the judgement of the treating team.

    >>> from secondline import assess, parse_case
    >>> result = assess(parse_case({"age": 63, "disease": "HCL", "as_of": "2026-11-23"}))
    >>> result.status.state
    'untreated'
"""

from secondline._assessment import Assessment
from secondline._case import Case
from secondline._engine import assess
from secondline._errors import CaseError, KnowledgeError, SecondlineError
from secondline._knowledge import Knowledge, check_knowledge, load_knowledge
from secondline._parse import case_json_schema, parse_case, read_case

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Case",
    "CaseError",
    "Knowledge",
    "KnowledgeError",
    "SecondlineError",
    "__version__",
    "assess",
    "case_json_schema",
    "check_knowledge",
    "load_knowledge",
    "parse_case",
    "read_case",
]
