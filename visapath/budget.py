"""Bounded work: a time budget and cancellation for one analysis step.

Reading an upload, explaining a posting or ingesting a file must never run unbounded: the input
limits keep every step linear, and this module keeps each one inside a wall-clock budget
(`VISAPATH_ANALYSIS_BUDGET_SECONDS`) and lets its caller cancel it (the browser session that
asked for it has ended). Cancellation is cooperative: long loops call `checkpoint()` between
units of work (a PDF page, a batch of sentences to embed), which raises `WorkStopped` once the
budget is spent or the caller gave up. Checkpoints sit before anything is written, so a stopped
step leaves no partial posting behind.

The active budgets live in a context variable, so the loaders, the posting reader and the
encoder need no extra parameter and work unchanged outside a budget (a checkpoint with no
budget is a no-op).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


class WorkStopped(Exception):
    """An analysis step stopped before it finished; the message is for the user."""


class OverBudget(WorkStopped):
    pass


class Cancelled(WorkStopped):
    pass


@dataclass
class Budget:
    """One step's limit: its name (for the message), seconds, and who may cancel it."""

    step: str
    seconds: float
    cancelled: Callable[[], bool] | None = None
    started: float = field(default_factory=time.monotonic)
    stage: str = ""  # what the step is doing now, for progress displays

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled(f"{self.step} was cancelled.")
        if self.elapsed > self.seconds:
            raise OverBudget(
                f"{self.step} stopped after {self.seconds:g} s, the time limit for one step "
                "(VISAPATH_ANALYSIS_BUDGET_SECONDS). Nothing was saved. Try a shorter file, or paste just "
                "the text of the posting.")


_ACTIVE: ContextVar[tuple[Budget, ...]] = ContextVar("visapath_budgets", default=())


@contextmanager
def limited(step: str, seconds: float, cancelled: Callable[[], bool] | None = None) -> Iterator[Budget]:
    """Run the enclosed work under a budget; nested budgets all apply (the tightest one wins)."""
    budget = Budget(step, seconds, cancelled)
    token = _ACTIVE.set(_ACTIVE.get() + (budget,))
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)


def checkpoint(stage: str | None = None) -> None:
    """Raise `WorkStopped` if any active budget is spent or cancelled; note the current stage."""
    for budget in _ACTIVE.get():
        if stage is not None:
            budget.stage = stage
        budget.check()
