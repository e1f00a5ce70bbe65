"""Whole-cohort computations kept between reads: the ranking (`ranking.py`) and the previews of
closing a stage or selecting (`selection.py`). Each is kept under the fingerprint of its inputs
(`adapters/ranking_inputs.py`) taken in the reader's snapshot, so a read gives what computing it
afresh in that snapshot would give, and any change to an input computes it again (issue 16: a
page of 10,000 applications must not compute the whole cohort). A refusal (409: too few scored
reviews, the panel rule, ...) is an answer too and is kept like one."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from aihub_applications.adapters import ranking_inputs
from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.status import RuleBroken
from aihub_shared.refusals import Params
from aihub_shared.runtime.db import DbConnection

T = TypeVar("T")


@dataclass(frozen=True)
class _Refusal:
    """A kept 409, raised anew at each read (an exception object is not shared between reads:
    each raise would extend its traceback)."""

    message: str
    code: str | None
    params: Params

    def raised(self) -> RuleBroken:
        return RuleBroken(self.message, code=self.code, params=self.params)


class KeptComputations(Generic[T]):
    """The last few answers of one kind of computation, each under (which cohort and what, the
    fingerprint of its inputs); least recently read first out, so memory stays bounded."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: OrderedDict[Hashable, tuple[str, T | _Refusal]] = OrderedDict()

    async def get_or_compute(
        self,
        conn: DbConnection,
        cohort_code: str,
        what: Hashable,
        compute: Callable[[], Awaitable[T]],
    ) -> T:
        """The kept answer if no input changed since, else `compute()`'s (kept for next time).
        `conn` must be in the snapshot `compute` reads (a repeatable-read transaction)."""
        ranking, inputs = await ranking_inputs.fingerprint(conn, cohort_code)
        key = (ranking, what)
        cached = self._kept.get(key)
        if cached is not None and cached[0] == inputs:
            self._kept.move_to_end(key)
            answer = cached[1]
        else:
            try:
                answer = await compute()
            except RuleBroken as refused:
                answer = _Refusal(str(refused), refused.code, dict(refused.params))
            self._kept[key] = (inputs, answer)
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        if isinstance(answer, _Refusal):
            raise answer.raised()
        return answer


Decided = list[tuple[rules.Outcome, Application]]

#: The closing previews read last, the advance's and the selection's (issue 16: at 10,000
#: applications computing one took 0.7-1.2 s, its 409 included). Two only: each holds its
#: applications (about as much memory as a kept ranking, 13 MiB at 10,000), and paging through
#: one preview reads the same one again.
PREVIEWS: KeptComputations[Decided] = KeptComputations(size=2)
