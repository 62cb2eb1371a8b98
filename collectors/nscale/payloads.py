"""The objects nscale's own API (`GET /v1/models`) and the Hugging Face router (`GET
/v1/models` with each model's `providers`) send, as the parsers read them
(collectors/payloads.py). Any key not declared here is recorded as unread with the run."""

from __future__ import annotations

from typing import Annotated, Any

from pricewatch.collectors.payloads import (
    NESTED,
    Count,
    Number,
    PassedOver,
    Payload,
    Text,
    Texts,
)


class Architecture(Payload):
    input_modalities: Texts = None
    output_modalities: Texts = None


class Entry(Payload):
    """What a model entry says of itself, in both lists: its kind (`type`, `model_type` or
    `task`, else its modalities, else its name), modalities and a retirement date."""

    id: str
    type: Text = None
    model_type: Text = None
    task: Text = None
    architecture: Annotated[Architecture | None, NESTED] = None
    retirement_date: Text = None
    retiring_on: Text = None
    deprecation_date: Text = None
    expiration_date: Text = None
    # the OpenAI list's bookkeeping
    object: PassedOver = None
    created: PassedOver = None
    owned_by: PassedOver = None

    @property
    def kinds(self) -> tuple[str | None, ...]:
        return self.type, self.model_type, self.task

    @property
    def dates(self) -> tuple[str | None, ...]:
        return self.retirement_date, self.retiring_on, self.deprecation_date, \
            self.expiration_date


class Pricing(Payload):
    """USD per 1M tokens (per megapixel for an image model's output), numbers or strings."""

    input: Any = None
    output: Any = None


class Model(Entry):
    """An entry of nscale's own `GET /v1/models`."""

    context_length: Count = None
    pricing: Any = None  # an object, or the entry is left out


class RouterOffer(Payload):
    """One of a Hugging Face router model's `providers[]`."""

    provider: Text = None
    status: Text = None
    context_length: Count = None
    pricing: Any = None
    is_free: Any = None  # flags: read as true or not
    supports_tools: Any = None
    supports_structured_output: Any = None
    first_token_latency_ms: Number = None
    throughput: Number = None
    is_model_author: PassedOver = None


class RouterModel(Entry):
    """An entry of the Hugging Face router's `GET /v1/models`."""

    providers: Any = None  # a list, or the whole list is refused
