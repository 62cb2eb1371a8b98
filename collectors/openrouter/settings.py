"""The `[openrouter]` settings section: its API and docs URLs, the hosts requests may go to,
and which output modalities the catalogue is asked for."""

from __future__ import annotations

from pydantic import Field, model_validator

from pricewatch.collectors.settings import ProviderSettings, check_hosts


class OpenRouterSettings(ProviderSettings):
    api_base: str = "https://openrouter.ai/api/v1"
    limits_page_url: str = "https://openrouter.ai/docs/api-reference/limits"
    allowed_hosts: list[str] = Field(default_factory=lambda: ["openrouter.ai"])
    # `GET /models` lists text models only unless asked: "all" adds image, video, audio,
    # embedding and rerank models; "" sends no filter (OpenRouter's default).
    output_modalities: str = Field(default="all", pattern=r"^[a-z,]*$")

    @model_validator(mode="after")
    def _urls_inside_allow_list(self) -> OpenRouterSettings:
        check_hosts("openrouter", [self.api_base, self.limits_page_url], self.allowed_hosts)
        return self
