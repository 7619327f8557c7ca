"""Content problems, phrased for the clinic operator who edits the YAML files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContentProblem:
    """One thing wrong, with where it is: file, place inside the file, and why."""

    file: str
    path: str = ""
    reason: str = ""
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        if self.path:
            where += f": {self.path}"
        return f"{where}: {self.reason}"


class ContentError(Exception):
    """The content cannot be used; ``problems`` lists everything found, not just the first."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{len(self.problems)} content problem(s):\n{lines}")
