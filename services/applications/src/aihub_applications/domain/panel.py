"""Panel rules (pure): a stage's share of external reviewers (외부 평가위원)."""

from __future__ import annotations

from collections.abc import Mapping

from aihub_applications.domain.status import RuleBroken
from aihub_shared.contracts.programs import ReviewStage


def require_external_share(stage: ReviewStage, panel: Mapping[str, bool]) -> None:
    """409 with the figures when the stage's panel (reviewer → external) has too few external
    reviewers for its `min_external_share`."""
    wanted = stage.min_external_share
    if wanted is None:
        return
    external = sum(panel.values())
    share = external / len(panel) if panel else 0.0
    if share < wanted:
        raise RuleBroken(
            f"{stage.code}: {external} of {len(panel)} reviewers are external ({share:.0%});"
            f" the stage needs at least {wanted:.0%}: add external reviewers"
        )
