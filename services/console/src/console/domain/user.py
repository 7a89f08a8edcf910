"""The signed-in person as the console sees them: a name, roles, and the token they act with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("sales", "warehouse", "accounting", "purchasing", "admin", "integration", "viewer")


@dataclass(frozen=True)
class User:
    subject: str
    name: str
    roles: frozenset[str]
    token: str

    def may(self, *roles: str) -> bool:
        """Whether any of `roles` (or admin) is held: decides which buttons are shown only.

        The services enforce every permission themselves; a hidden button is a courtesy.
        """
        return "admin" in self.roles or bool(self.roles.intersection(roles))

    def to_session(self) -> dict[str, Any]:
        return {
            "sub": self.subject,
            "name": self.name,
            "roles": sorted(self.roles),
            "token": self.token,
        }

    @classmethod
    def from_session(cls, data: Any) -> User | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                subject=str(data["sub"]),
                name=str(data["name"]),
                roles=frozenset(str(role) for role in data["roles"]),
                token=str(data["token"]),
            )
        except (KeyError, TypeError):
            return None
