"""Applications service: intake from publishing systems, eligibility, review and decisions."""
