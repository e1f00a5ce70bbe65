"""Every Kafka topic of the platform, defined once: the launcher, compose and services read this."""

from __future__ import annotations

from dataclasses import dataclass, field

DEAD_LETTER_SUFFIX = ".dlq"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 3
    config: dict[str, str] = field(default_factory=dict)
    description: str = ""


INTAKE_APPLICATIONS = "intake.applications"
INTAKE_RECEIPTS = "intake.receipts"
INTAKE_KPI_REPORTS = "intake.kpi-reports"
APPLICATIONS_LIFECYCLE = "applications.lifecycle"
PROGRAMS_CATALOG = "programs.catalog"
PROGRAMS_ENROLLMENTS = "programs.enrollments"
NOTIFICATIONS_DELIVERIES = "notifications.deliveries"

# Keyed topics get 3 partitions so one aggregate's events stay ordered while consumers scale out.
_EVENT_TOPICS = [
    # The broker stamps arrival (LogAppendTime): deadlines are judged by when a submission
    # reached our door, which a publisher cannot backdate and a slow consumer cannot delay.
    TopicSpec(
        INTAKE_APPLICATIONS,
        config={"message.timestamp.type": "LogAppendTime"},
        description="Publishing systems submit applications.",
    ),
    TopicSpec(INTAKE_RECEIPTS, description="The outcome of each submission, by submission id."),
    TopicSpec(INTAKE_KPI_REPORTS, description="Publishing systems report startup KPIs."),
    TopicSpec(
        APPLICATIONS_LIFECYCLE, description="Application state changes, keyed by cohort code."
    ),
    # Compacted: a consumer that starts late rebuilds its replica from the latest event per cohort.
    TopicSpec(
        PROGRAMS_CATALOG,
        config={"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"},
        description="The latest state of each cohort and its program.",
    ),
    TopicSpec(PROGRAMS_ENROLLMENTS, description="Seat allocation, keyed by cohort code."),
    TopicSpec(NOTIFICATIONS_DELIVERIES, description="Each e-mail sent or failed."),
]

CONSUMED_TOPICS = [
    INTAKE_APPLICATIONS,
    INTAKE_KPI_REPORTS,
    APPLICATIONS_LIFECYCLE,
    PROGRAMS_CATALOG,
    PROGRAMS_ENROLLMENTS,
]


def dead_letter_topic(topic: str) -> str:
    return topic + DEAD_LETTER_SUFFIX


ALL_TOPICS: list[TopicSpec] = _EVENT_TOPICS + [
    TopicSpec(
        dead_letter_topic(t),
        partitions=1,
        config={"retention.ms": str(30 * 24 * 3600 * 1000)},
        description=f"Messages from {t} that could not be processed, with the reason in headers.",
    )
    for t in CONSUMED_TOPICS
]
