"""Problems found in atlas files, reported with the file and field they concern."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file.

    Examples
    --------
    >>> str(Problem(Path("annotations/structures/femur.md"), "group", "unknown group 'bone'"))
    "annotations/structures/femur.md: field 'group': unknown group 'bone'"
    """

    path: Path
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f" field '{self.field}':" if self.field else ""
        return f"{self.path}:{where} {self.message}"


class AtlasError(ValueError):
    """The atlas files have problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the atlas:\n" + "\n".join(map(str, problems)))
