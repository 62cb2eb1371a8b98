"""One benchmark run of Aider's `polyglot_leaderboard.yml`, as the parser reads it
(collectors/payloads.py). Its figures and date are checked by the parser (`figure`,
`run_date`: a value it cannot read leaves the run out, named); any key not declared here is
recorded as unread with the run."""

from __future__ import annotations

from typing import Any

from pricewatch.collectors.payloads import PassedOver, Payload


class Run(Payload):
    model: Any = None  # the model as published, free text: the run's label
    dirname: Any = None  # the run's id
    command: Any = None  # the `aider ...` line: --model and the variant flags
    date: Any = None
    seconds_per_case: Any = None
    total_cost: Any = None  # USD
    # the metrics, in percent
    pass_rate_2: Any = None
    pass_rate_1: Any = None
    percent_cases_well_formed: Any = None
    # the variant
    edit_format: Any = None
    reasoning_effort: Any = None
    thinking_tokens: Any = None
    editor_model: Any = None
    editor_edit_format: Any = None
    # counts and token totals of the run, tool versions
    test_cases: PassedOver = None
    commit_hash: PassedOver = None
    pass_num_1: PassedOver = None
    pass_num_2: PassedOver = None
    error_outputs: PassedOver = None
    num_malformed_responses: PassedOver = None
    num_with_malformed_responses: PassedOver = None
    user_asks: PassedOver = None
    lazy_comments: PassedOver = None
    syntax_errors: PassedOver = None
    indentation_errors: PassedOver = None
    exhausted_context_windows: PassedOver = None
    test_timeouts: PassedOver = None
    total_tests: PassedOver = None
    versions: PassedOver = None
    prompt_tokens: PassedOver = None
    completion_tokens: PassedOver = None

    def sent(self, name: str) -> bool:
        """Whether the run has the key at all (a key sent as null is sent)."""
        return name in self.model_fields_set
