"""The error tree.

    SecondlineError
    ├── CaseError       the case is invalid: the user's to fix; each problem names the field
    └── KnowledgeError  the knowledge files are invalid: the author's to fix; each problem
                        names the file and the rule

Both carry every problem found, not just the first, and neither should ever reach a
user as a traceback.
"""

from __future__ import annotations


class SecondlineError(Exception):
    """Base class; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class CaseError(SecondlineError):
    """The case cannot be read or breaks the contract; each line names the field."""


class KnowledgeError(SecondlineError):
    """The knowledge base is inconsistent; each line names the file and rule."""
