"""Intake: the integration contract (schemas, typed commands), handlers, ingestion."""
