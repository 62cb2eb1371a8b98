"""The `[nscale]` settings section: its API, the Hugging Face router and which of its
providers are kept, the rate-limit page, and the hosts requests may go to."""

from __future__ import annotations

from pydantic import Field, model_validator

from pricewatch.collectors.settings import ProviderSettings, check_hosts


class NscaleSettings(ProviderSettings):
    api_base: str = "https://inference.api.nscale.com/v1"
    hf_router_url: str = "https://router.huggingface.co/v1/models"
    hf_providers: list[str] = Field(
        default_factory=lambda: ["nscale"],
        description="Hugging Face router providers whose offers are kept (route huggingface).")
    limits_page_url: str = "https://docs.nscale.com/docs/faqs/rate-limits"
    allowed_hosts: list[str] = Field(default_factory=lambda: [
        "inference.api.nscale.com", "router.huggingface.co", "docs.nscale.com"])

    @model_validator(mode="after")
    def _urls_inside_allow_list(self) -> NscaleSettings:
        check_hosts("nscale", [self.api_base, self.hf_router_url, self.limits_page_url],
                    self.allowed_hosts)
        return self
