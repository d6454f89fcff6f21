"""Settings and logging, read once from the environment when a process starts."""

from services.config.settings import POSTGRES, SQLITE, ConfigError, Settings

__all__ = ["POSTGRES", "SQLITE", "ConfigError", "Settings"]
