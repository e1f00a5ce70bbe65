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
    #: What personal data its messages carry ("" for none): the README's table is made from this.
    personal_data: str = ""


INTAKE_APPLICATIONS = "intake.applications"
INTAKE_RECEIPTS = "intake.receipts"
INTAKE_KPI_REPORTS = "intake.kpi-reports"
APPLICATIONS_LIFECYCLE = "applications.lifecycle"
PROGRAMS_CATALOG = "programs.catalog"
PROGRAMS_ENROLLMENTS = "programs.enrollments"
NOTIFICATIONS_DELIVERIES = "notifications.deliveries"
INTAKE_ERASURE_REQUESTS = "intake.erasure-requests"
PRIVACY_ERASURES = "privacy.erasures"
INTAKE_SELECTION_REQUESTS = "intake.selection-requests"

_DAY_MS = 24 * 3600 * 1000
#: How long a topic carrying personal data keeps it: Kafka deletes whole segments older than
#: this, so an erased person's data leaves the log at the latest one week (plus one segment's
#: age, `segment.ms`) after the erasure. The services' own tables are what erasure rewrites.
PERSONAL_DATA_RETENTION = {
    "retention.ms": str(7 * _DAY_MS),
    "segment.ms": str(1 * _DAY_MS),
}

# Keyed topics get 3 partitions so one aggregate's events stay ordered while consumers scale out.
_EVENT_TOPICS = [
    # The broker stamps arrival (LogAppendTime): deadlines are judged by when a submission
    # reached our door, which a publisher cannot backdate and a slow consumer cannot delay.
    TopicSpec(
        INTAKE_APPLICATIONS,
        config={"message.timestamp.type": "LogAppendTime", **PERSONAL_DATA_RETENTION},
        description="Publishing systems submit applications.",
        personal_data="founder's name, e-mail, business registration number, answers",
    ),
    TopicSpec(INTAKE_RECEIPTS, description="The outcome of each submission, by submission id."),
    TopicSpec(INTAKE_KPI_REPORTS, description="Publishing systems report startup KPIs."),
    TopicSpec(
        APPLICATIONS_LIFECYCLE,
        config=dict(PERSONAL_DATA_RETENTION),
        description="Application state changes, keyed by cohort code.",
        personal_data="founder's name and e-mail, business registration number,"
        " decision reasons, reviewers' names and e-mails",
    ),
    # Compacted: a consumer that starts late rebuilds its replica from the latest event per cohort.
    # It carries no applicant's data, only the program managers' work contacts; a manager taken
    # off a program is gone from the cohort's next state, and compaction drops the older ones.
    TopicSpec(
        PROGRAMS_CATALOG,
        # Segments roll daily so compaction (which skips the active segment) drops a
        # manager's older states within about a day of their removal.
        config={
            "cleanup.policy": "compact",
            "min.compaction.lag.ms": "60000",
            "segment.ms": str(_DAY_MS),
        },
        description="The latest state of each cohort and its program.",
    ),
    TopicSpec(
        PROGRAMS_ENROLLMENTS,
        config=dict(PERSONAL_DATA_RETENTION),
        description="Seat allocation, keyed by cohort code.",
        personal_data="startup name (a sole founder's trade name can name them)",
    ),
    TopicSpec(
        NOTIFICATIONS_DELIVERIES,
        description="Each e-mail sent or failed.",
    ),
    TopicSpec(
        INTAKE_ERASURE_REQUESTS,
        config=dict(PERSONAL_DATA_RETENTION),
        description="Publishing systems ask for a person's data to be erased.",
        personal_data="the e-mail address to erase",
    ),
    TopicSpec(
        PRIVACY_ERASURES,
        description="Each service confirms an erasure (`person.erased`), keyed by request id.",
    ),
    # Arrival stamped by the broker, as for submissions: an appeal's window is judged by when it
    # reached our door.
    TopicSpec(
        INTAKE_SELECTION_REQUESTS,
        config={"message.timestamp.type": "LogAppendTime", **PERSONAL_DATA_RETENTION},
        description="Publishing systems send applicants' appeals (이의제기) and challenges of a"
        " reviewer (기피 신청), keyed by request id.",
        personal_data="the applicant's reason, a challenged reviewer's e-mail",
    ),
]

CONSUMED_TOPICS = [
    INTAKE_APPLICATIONS,
    INTAKE_KPI_REPORTS,
    APPLICATIONS_LIFECYCLE,
    PROGRAMS_CATALOG,
    PROGRAMS_ENROLLMENTS,
    INTAKE_ERASURE_REQUESTS,
    PRIVACY_ERASURES,
    INTAKE_SELECTION_REQUESTS,
]


def dead_letter_topic(topic: str) -> str:
    return topic + DEAD_LETTER_SUFFIX


ALL_TOPICS: list[TopicSpec] = _EVENT_TOPICS + [
    TopicSpec(
        dead_letter_topic(t),
        partitions=1,
        config={"retention.ms": str(30 * _DAY_MS)},
        description=f"Messages from {t} that could not be processed, with the reason in headers.",
        personal_data="whatever the original message carried, for 30 days",
    )
    for t in CONSUMED_TOPICS
]
