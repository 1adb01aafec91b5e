"""Build hook: ship tools/ and prompts/ inside the wheel as upwork_mcp/tools and upwork_mcp/prompts.

Only for the standard wheel: an editable install loads them from the checkout
(upwork_mcp/_bundled.py), and copying them into site-packages would shadow it.
"""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class BundleHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "standard":
            build_data["force_include"]["tools"] = "upwork_mcp/tools"
            build_data["force_include"]["prompts"] = "upwork_mcp/prompts"
