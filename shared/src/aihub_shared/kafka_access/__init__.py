"""Who may do what on the platform's Kafka topics: the table and `aihub-kafka-access`."""
