"""Progress bars (tqdm, on stderr) for generate, replay, import and the benchmarks."""

from __future__ import annotations

import sys
from typing import Iterable

from tqdm import tqdm


def bar(iterable: Iterable | None = None, *, desc: str, total: int | None = None, unit: str = "it",
        always: bool = False) -> tqdm:
    """A tqdm bar on stderr: on a terminal only (library calls from tests and scripts stay quiet), or always."""
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, disable=False if always else None,
                dynamic_ncols=True, mininterval=0 if always else 0.5)


class StepBar:
    """A bar fed by an on_step(done, total, ...) callback (the replay's): created at the first step, closed at the
    last; label is shown after the counts. Always shown: a replay is long, and piped stderr keeps each step."""

    def __init__(self, desc: str, unit: str = "step"):
        self.desc, self.unit, self.bar = desc, unit, None

    def update(self, done: int, total: int, label: str = "") -> None:
        if self.bar is None:
            self.bar = bar(desc=self.desc, total=total, unit=self.unit, always=True)
        self.bar.set_postfix_str(label, refresh=False)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.bar.close()
