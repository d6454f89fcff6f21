"""Adapters and entry points: HTTP API, Kafka relay, command line, composition root."""
