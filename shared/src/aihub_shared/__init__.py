"""Event contracts and the runtime kit shared by every Seoul AI Hub service."""
