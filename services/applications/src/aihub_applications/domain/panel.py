"""Panel rules (pure): a stage's share of external reviewers (외부 평가위원)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aihub_applications.domain.status import RuleBroken
from aihub_shared.contracts.programs import ReviewStage


@dataclass(frozen=True)
class PanelCheck:
    """The external-share check of a stage's panel, with its figures."""

    reviewers: int
    external: int
    #: The stage's `min_external_share`; None: the stage has no such rule.
    min_external_share: float | None

    @property
    def share(self) -> float:
        return self.external / self.reviewers if self.reviewers else 0.0

    @property
    def satisfied(self) -> bool:
        return self.min_external_share is None or self.share >= self.min_external_share


def panel_check(stage: ReviewStage, panel: Mapping[str, bool]) -> PanelCheck:
    """The figures of the stage's panel (reviewer → external) against its rule."""
    return PanelCheck(len(panel), sum(panel.values()), stage.min_external_share)


def require_external_share(stage: ReviewStage, panel: Mapping[str, bool]) -> None:
    """409 with the figures when the stage's panel (reviewer → external) has too few external
    reviewers for its `min_external_share`."""
    check = panel_check(stage, panel)
    if not check.satisfied:
        raise RuleBroken(
            f"{stage.code}: {check.external} of {check.reviewers} reviewers are external"
            f" ({check.share:.0%}); the stage needs at least {check.min_external_share:.0%}:"
            " add external reviewers"
        )
