"""More than one person on the sandbox: each login (`sandbox_user=N` on the authorize URL) is one person,
with their own account, organization and message rooms. Person 0 is the seeded freelancer, who owns the
seeded world; the others get a small world of their own, made the first time they are asked for."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from .data import _conversation
from .state import Sandbox

NAMES = ["Sandy Freelancer", "Sam Second", "Toni Third"]
MAX_PERSONAS = len(NAMES)


def persona_user(box: Sandbox, persona: int) -> dict[str, Any]:
    if persona == 0:
        return box.data.user
    return {
        "id": f"{9_000_000_000_000 + persona}",
        "nid": f"sandboxperson{persona}",
        "rid": str(7_000_000 + persona),
        "name": NAMES[persona],
        "email": f"person{persona}@sandbox.invalid",
    }


def persona_organizations(box: Sandbox, persona: int) -> list[dict[str, Any]]:
    if persona == 0:
        return box.data.organizations
    user = persona_user(box, persona)
    org = {"id": f"8{user['id']}", "name": user["name"], "type": "SOLE_PROPRIETOR"}
    return [{**org, "_selector_type": "SoleProprietor", "_type_title": "Freelancer"}]


def persona_rooms(box: Sandbox, persona: int) -> list[dict[str, Any]]:
    """The person's rooms; their stories live in the dataset's stories, keyed by room id."""
    if persona == 0:
        return box.data.rooms
    rooms = box.extra_rooms.get(persona)
    if rooms is None:
        rng = random.Random(box.seed * 31 + persona)
        user = persona_user(box, persona)
        now = box.data.anchor
        rooms = []
        for i in range(2):
            room_id = f"room_person{persona}_{i}"
            client = f"Client {i + 1} of {user['name']}"
            rooms.append(
                {
                    "id": room_id,
                    "roomName": f"{user['name']} and {client}",
                    "topic": "A project",
                    "roomType": "ONE_ON_ONE",
                    "numUnread": i,
                    "contractId": None,
                    "_participants": [user["name"], client],
                }
            )
            box.data.stories[room_id] = _conversation(rng, now - timedelta(days=5 + i), now, user, client)
        box.extra_rooms[persona] = rooms
    return rooms
