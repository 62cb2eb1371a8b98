"""Vertex AI pricing pages built for tests from the real fragments in ../shared.

The shared capture of the July 2026 page (`pricing-2026-07-31.excerpt.html`) holds row
fragments without their tables or header rows. `july_2026_page` puts each fragment, unchanged,
into a table shaped as the live page is described (issue 4, DESIGN.md section 5): the Gemini
rows under the Standard header row of the May 2026 capture, the partner rows (Claude, Grok)
under a header with one column per context band, the legacy Gemini 1.5 rows under a
`Model | Attribute | Type | <= 128K | > 128K` header, and the footnote and long-context
sentences as paragraphs. Nothing is copied into this repository: the page is assembled from
../shared at test time.

Rows for which no capture exists (Llama 3.1 405B; other layouts the page has been seen in)
are written out here, each marked with where its figures come from.
"""

from __future__ import annotations

import re

from . import fixture_path

EXCERPT = "vertex/pricing-2026-07-31.excerpt.html"
GEMINI_HEADER = """<thead><tr><th>Model</th><th>Type</th>
<th>Price (/1M tokens) &lt;= 200K input tokens</th>
<th>Price (/1M tokens) &gt; 200K input tokens</th>
<th>Price (/1M tokens) &lt;= 200K <strong>cached</strong> input tokens</th>
<th>Price (/1M tokens) &gt; 200K <strong>cached</strong> input tokens</th></tr></thead>"""
PARTNER_HEADER = """<thead><tr><th>Model</th>
<th>Price (/1M tokens) &lt;= 200K input tokens</th>
<th>Price (/1M tokens) &gt; 200K input tokens</th></tr></thead>"""
LEGACY_HEADER = """<thead><tr><th>Model</th><th>Attribute</th><th>Type</th>
<th>Price (&lt;= 128K context window)</th><th>Price (&gt; 128K context window)</th></tr>
</thead>"""
# Not captured as HTML: Llama 3.1 405B's partner row. $5 / $16 per 1M tokens is what the
# Billing-Catalog-derived list (catalog-derived-model-sync-2026-08-20/models/llama-3.1-405b.json)
# and LiteLLM's list (litellm-vertex-2025-09-05.json: 5e-06 / 1.6e-05 per token) both say;
# the cell is written in the partner style of the captured Grok rows.
LLAMA_ROW = """<tr><td>Llama 3.1 405B</td>
<td>Input: $5.00 / million tokens<br>Output: $16.00 / million tokens</td><td>N/A</td></tr>"""


def fragments() -> dict[str, str]:
    """The excerpt's fragments by the name in their `<!-- fragment: ... -->` comment."""
    text = fixture_path(EXCERPT).read_text()
    parts = re.split(r"<!-- fragment: (.*?) -->", text)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def _pick(found: dict[str, str], *words: str) -> str:
    return "".join(body for name, body in found.items() if any(w in name for w in words))


def july_2026_page() -> str:
    found = fragments()
    gemini = "".join(body for name, body in found.items()
                     if "Gemini" in name and "legacy" not in name)
    footnote = _pick(found, "Standard-table footnote")
    partner = _pick(found, "Claude", "Grok")
    # Each legacy model in its own row group: their rowspan="3" covers two rows here.
    legacy = "".join(f"<tbody>{body}</tbody>" for name, body in found.items()
                     if "legacy" in name)
    rules = "".join(f"<p>{body.strip()}</p>" for name, body in found.items()
                    if name.startswith("findings.json threshold"))
    return f"""<!doctype html><html><body>
<h1>Vertex AI Pricing</h1>
<h2 id="gemini">Gemini models</h2>
<h3>Standard</h3>
<table class="style0">{GEMINI_HEADER}<tbody>{gemini}</tbody></table>
{footnote}</small></p>
<h2 id="partner">Partner models</h2>
<table>{PARTNER_HEADER}<tbody>{partner}</tbody></table>
<h2 id="open">Open models</h2>
<table>{PARTNER_HEADER}<tbody>{LLAMA_ROW}</tbody></table>
<h2 id="legacy">Legacy Gemini models</h2>
<table>{LEGACY_HEADER}{legacy}</table>
{rules}
</body></html>"""
