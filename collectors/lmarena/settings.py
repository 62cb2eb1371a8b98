"""The `[lmarena]` settings section: where LMArena's Elo history is read from (off by
default), and the hosts requests may go to."""

from __future__ import annotations

from pydantic import Field, model_validator

from pricewatch.collectors.settings import ProviderSettings, check_hosts


class LmarenaSettings(ProviderSettings):
    enabled: bool = Field(False, description=(
        "Collect LMArena's Elo history with the other sources (off: its upstream stopped in "
        "2025; `pricewatch collect lmarena.elo` reads it when asked)."))
    history_url: str = Field(
        "https://raw.githubusercontent.com/nakasyou/lmarena-history/main/output/result.csv",
        description="The Elo history as CSV: a header of model ids, one row per leaderboard "
                    "date (YYYYMMDD) with each model's overall text Elo (0: not rated).")
    allowed_hosts: list[str] = Field(default_factory=lambda: ["raw.githubusercontent.com"])

    @model_validator(mode="after")
    def _urls_inside_allow_list(self) -> LmarenaSettings:
        check_hosts("lmarena", [self.history_url], self.allowed_hosts)
        return self
