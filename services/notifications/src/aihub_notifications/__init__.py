"""Notifications service: the right e-mail to the right person, exactly once."""
