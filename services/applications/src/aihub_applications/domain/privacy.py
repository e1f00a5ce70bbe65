"""How long an application's personal data is kept after its cohort ends (PIPA art. 21: destroy
once the purpose is served): the cohort's `retention` says how many days for the selected and
for the others; after that the retention worker erases the application as a request would."""

from __future__ import annotations

from aihub_applications.domain.status import SELECTED, Status

#: Were selected at some point (a seat, the reserve, or a seat given up since): their
#: enrollment and agreement are kept longer. Everyone else was not selected.
WAS_SELECTED = SELECTED | {Status.CANCELLED}
