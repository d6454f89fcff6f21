"""Reads: a pupil's history as known at any moment, the dossier, their representations."""
