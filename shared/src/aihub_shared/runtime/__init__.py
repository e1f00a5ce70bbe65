"""The runtime kit: settings, logs, Postgres, outbox, inbox, consumers, health, service runner."""
