"""The `[vertex]` settings section: the pricing, partner, SKU and quota URLs and the hosts
requests (and redirects) may go to."""

from __future__ import annotations

from pydantic import Field, model_validator

from pricewatch.collectors.settings import ProviderSettings, check_hosts


class VertexSettings(ProviderSettings):
    pricing_page_url: str = "https://cloud.google.com/vertex-ai/generative-ai/pricing"
    partner_page_urls: list[str] = Field(default_factory=lambda: [
        "https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/llama"],
        description="Partner model pages that say which preview models are free.")
    skus_url: str = ("https://cloudbilling.googleapis.com/v1/services/C7E2-9256-1C43/skus")
    quota_page_urls: list[str] = Field(default_factory=lambda: [
        "https://cloud.google.com/vertex-ai/generative-ai/docs/quotas",
        "https://docs.cloud.google.com/vertex-ai/generative-ai/docs/standard-paygo",
        "https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/"
        "partner-models/mistral",
        "https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/use-claude",
        "https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/"
        "partner-models/llama/llama4-maverick",
        "https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/"
        "partner-models/llama/llama4-scout",
        "https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/maas/"
        "deepseek/deepseek-v31",
        "https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/maas/qwen/"
        "qwen3-235b"],
        description="The quotas page, the Standard PayGo page and partner/open model pages.")
    allowed_hosts: list[str] = Field(default_factory=lambda: [
        "cloud.google.com", "docs.cloud.google.com", "cloudbilling.googleapis.com"],
        description="Redirects (the 2026 move to gemini-enterprise-agent-platform) are "
                    "followed only within these hosts.")

    @model_validator(mode="after")
    def _urls_inside_allow_list(self) -> VertexSettings:
        check_hosts("vertex", [self.pricing_page_url, self.skus_url, *self.partner_page_urls,
                               *self.quota_page_urls], self.allowed_hosts)
        return self
