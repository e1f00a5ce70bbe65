"""Programs service: the catalog, cohorts with scarce seats, enrollment and waitlists."""
