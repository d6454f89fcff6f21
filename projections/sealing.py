"""Personal columns of the view rows, sealed with the pupil's key when encryption is on.

Without a master key (development) a value is stored as it is; with one
(``services.store.pupil_keys``), as the pupil's ciphertext, so a view row holds no health
detail in plain text and disposing of the pupil's key leaves nothing readable (PRIV-4).
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class Sealer(Protocol):
    def seal(self, tenant: str, pupil_id: UUID | str, text: str) -> str: ...

    def open(self, text: str) -> str:
        """The text ``seal`` was given; a sealed text of a disposed pupil raises."""
        ...


class Plain:
    def seal(self, tenant: str, pupil_id: UUID | str, text: str) -> str:
        return text

    def open(self, text: str) -> str:
        return text


PLAIN = Plain()
