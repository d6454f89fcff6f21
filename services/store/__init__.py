"""The event store: the event-sourced application and the unit of work of one batch."""
