"""The `[aider]` settings section: where Aider's polyglot leaderboard is read from, and the
hosts requests may go to."""

from __future__ import annotations

from pydantic import Field, model_validator

from pricewatch.collectors.settings import ProviderSettings, check_hosts


class AiderSettings(ProviderSettings):
    polyglot_url: str = Field(
        "https://raw.githubusercontent.com/Aider-AI/aider/main/aider/website/_data/"
        "polyglot_leaderboard.yml",
        description="The polyglot leaderboard's data file (YAML, one item per benchmark run).")
    allowed_hosts: list[str] = Field(default_factory=lambda: ["raw.githubusercontent.com"])

    @model_validator(mode="after")
    def _urls_inside_allow_list(self) -> AiderSettings:
        check_hosts("aider", [self.polyglot_url], self.allowed_hosts)
        return self
