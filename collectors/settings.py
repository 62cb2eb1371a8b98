"""What every provider's settings section shares: `base_url`, which moves all its URLs to a
mirror, and the allow-list check. Each provider's own section is in its package
(collectors/<provider>/settings.py); pricewatch/settings.py gathers them into `Settings`.
Only pydantic is imported here, so reading the settings loads no collector."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator


def moved_to(base: str, url: str) -> str:
    """`url` on `base`'s origin, its path under `base`'s path: a mirror keeps the paths."""
    origin, target = urlsplit(base), urlsplit(url)
    return urlunsplit((origin.scheme, origin.netloc, origin.path.rstrip("/") + target.path,
                       target.query, target.fragment))


class ProviderSettings(BaseModel):
    """A provider's section: its URLs, and `base_url`, which moves all of them at once."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description=(
        "Whether `collect` and the daemon collect this provider's sources when none is named "
        "(a source named on the command line always runs)."))
    base_url: str | None = Field(None, description=(
        "A mirror of the provider (a demo, a test server): every URL of this section not "
        "set explicitly moves to this origin, paths kept, and allowed_hosts becomes its host."))

    @model_validator(mode="before")
    @classmethod
    def _mirror(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data.get("base_url"):
            return data
        data, base = dict(data), str(data["base_url"])
        for name, field in cls.model_fields.items():
            if name in data:
                continue
            default = field.get_default(call_default_factory=True)
            if isinstance(default, str) and default.startswith(("http://", "https://")):
                data[name] = moved_to(base, default)
            elif isinstance(default, list) and default and all(
                    isinstance(v, str) and v.startswith(("http://", "https://"))
                    for v in default):
                data[name] = [moved_to(base, v) for v in default]
        data.setdefault("allowed_hosts", [urlsplit(base).hostname or ""])
        return data


def check_hosts(provider: str, urls: list[str], allowed: list[str]) -> None:
    """Refuse configuration that would send requests outside the provider's allow-list."""
    for url in urls:
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"{provider}: {url!r} is not an http(s) URL")
        if parsed.hostname not in allowed:
            raise ValueError(f"{provider}: {url!r} is outside allowed_hosts {allowed}; add "
                             f"its host to {provider}.allowed_hosts to allow it")
