"""Outbound: the Kafka relays, what may be published, and the deadline clock."""
