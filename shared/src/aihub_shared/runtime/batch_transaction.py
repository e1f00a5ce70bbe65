"""The consumer's fast path: a fetched batch applied in one transaction.

No savepoint per record (two round trips each): a failed handler rolls the whole transaction
back, and the records before it are applied again without it. Handlers are written to be run
again anyway (a redelivery after a failed commit does the same), and a failure in the fast path
is the rare case. The inbox claims of the batch are one statement; a run of records a batch
handler takes (`batch.py`) is one call of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import asyncpg
import structlog
from aiokafka import ConsumerRecord

from aihub_shared.runtime import batch, inbox, record_context
from aihub_shared.runtime.batch import BatchHandler
from aihub_shared.runtime.consuming import CONSUMED, Decoded, Handler, log
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.dead_letter_path import answer_violation
from aihub_shared.runtime.errors import is_transient
from aihub_shared.runtime.refused_receipts import ContractRefusal


class _RollBack(Exception):
    """A handler failed in the fast path: roll back, apply the `applied` records before it;
    the `failed` records after them (one, or a batch handler's whole run) go one by one."""

    def __init__(self, applied: int, failed: int = 1) -> None:
        super().__init__(applied, failed)
        self.applied = applied
        self.failed = failed


@dataclasses.dataclass(frozen=True)
class BatchTransaction:
    """One consumer's fast path: its name, pool, handlers and how it answers violations."""

    consumer: str
    pool: asyncpg.Pool
    handlers: Mapping[str, Handler]
    batch_handlers: Mapping[str, BatchHandler]
    refuse: ContractRefusal | None

    async def apply(self, records: Sequence[ConsumerRecord]) -> tuple[list[str], int]:
        """The outcomes of the leading records, committed together: all of them, or those before
        the first one whose handler failed; and how many records after them go one by one."""
        decoded = [Decoded.of(record, self.handlers) for record in records]
        count, failed = len(decoded), 1
        while count:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    outcomes = await self._apply_leading(conn, decoded[:count])
            except _RollBack as rolled_back:
                count, failed = rolled_back.applied, rolled_back.failed
                continue
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("batch transaction failed; continuing one by one", error=repr(exc))
                return [], 1
            for outcome in outcomes:
                CONSUMED.labels(self.consumer, outcome).inc()
            return outcomes, failed
        return [], failed

    async def _apply_leading(self, conn: DbConnection, decoded: Sequence[Decoded]) -> list[str]:
        """Each record's outcome in the caller's transaction; `_RollBack` at the first whose
        handler failed (its writes are then in the transaction). The inbox claims of the whole
        run are one statement; a run of records a batch handler takes is one call of it."""
        fresh = await inbox.claim_all(
            conn, self.consumer, [d.inbox_key for d in decoded if d.handler is not None], "done"
        )
        outcomes: list[str] = []
        while len(outcomes) < len(decoded):
            run = self._batch_run(decoded[len(outcomes) :])
            if run:
                outcomes += await self._apply_run(conn, run, fresh, applied=len(outcomes))
                continue
            item = decoded[len(outcomes)]
            with record_context.handling(self.consumer, item.record):
                if item.violation is not None:
                    outcome = await answer_violation(
                        conn, self.consumer, self.refuse, item.record, item.violation
                    )
                elif item.handler is None or item.event is None:
                    outcome = "ignored"
                else:
                    with record_context.about(item.event):
                        if item.inbox_key not in fresh:
                            log.info("duplicate event skipped")
                            outcome = "duplicate"
                        else:
                            fresh.discard(item.inbox_key)  # the same event twice in one batch
                            try:
                                await item.handler(conn, item.event, item.data)
                            except Exception as exc:
                                raise _RollBack(len(outcomes)) from exc
                            outcome = "done"
            outcomes.append(outcome)
        return outcomes

    def _batch_run(self, decoded: Sequence[Decoded]) -> Sequence[Decoded]:
        """The longest prefix of records of one event name that a batch handler takes."""
        name = decoded[0].name
        if name is None or name not in self.batch_handlers:
            return []
        end = 1
        while end < len(decoded) and decoded[end].name == name:
            end += 1
        return decoded[:end]

    async def _apply_run(
        self, conn: DbConnection, run: Sequence[Decoded], fresh: set[str], *, applied: int
    ) -> list[str]:
        """A run's outcomes (`done`, or `duplicate`: handled before, or earlier in the batch)
        after one call of its batch handler; `_RollBack` sends the whole run one by one when
        the handler fails, so a poison record is dead-lettered with its reason alone."""
        outcomes: list[str] = []
        events: list[batch.Consumed] = []
        for item in run:
            assert item.event is not None  # a run holds decoded records only
            if item.inbox_key in fresh:
                fresh.discard(item.inbox_key)
                arrival = record_context.arrival_of(item.record)
                events.append(batch.Consumed(item.event, item.data, arrival))
                outcomes.append("done")
            else:
                outcomes.append("duplicate")
        positions = f"{record_context.position(run[0].record)}..{run[-1].record.offset}"
        with structlog.contextvars.bound_contextvars(consumer=self.consumer, positions=positions):
            if len(events) < len(run):
                log.info("duplicate events skipped", count=len(run) - len(events))
            try:
                if events:
                    await self.batch_handlers[str(run[0].name)](conn, events)
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.warning("batch failed; its records go one by one", error=repr(exc))
                raise _RollBack(applied, failed=len(run)) from exc
        return outcomes
