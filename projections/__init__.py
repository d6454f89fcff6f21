"""Read models built from the event log, each with its own tracked position."""
