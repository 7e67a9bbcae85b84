"""Due days moved by extensions (SPEC §2, §4): pure. Stage names, labels, levels and role ranks are the
vocabulary's (models.vocabulary: Stage, Role)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Moved:
    """An approved extension as escalation reads it: from `day` on, the due day is `new_due`."""

    day: date
    previous_due: date
    new_due: date


def effective_due(current_due: date, moves: Sequence[Moved], day: date) -> date:
    """The due day on `day`: an extension dated after `day` has not moved it yet."""
    later = sorted((m for m in moves if m.day > day), key=lambda m: m.day)
    return later[0].previous_due if later else current_due
