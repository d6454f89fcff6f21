"""Rendering: documents people read (HTML, PDF) and their Norwegian wording."""
