"""Vertex AI pricing page parse time against page size (issue 29, item 9).

A page is built by repeating the tabbed tables of tests/data/vertex-pricing-tabs.html (each
copy with its own model names and tab ids) to 0.5, 1, 2 and 4 MB; each size is parsed
`--repeat` times and the median kept. Printed as seconds and as ratios to the smallest page:
linear parsing gives about 8x at 8x the size (goal: <= 8.5x). Before the fix, 0.25 MB took
7 s, 0.5 MB 32 s and 1 MB 117 s (a search of the whole page per table, and a search of each
parent's children per inserted line break).

    .venv/bin/python -m bench.vertex_pricing [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from pricewatch.collectors.vertex.pricing import parse_pricing

PAGE = Path(__file__).resolve().parents[1] / "tests" / "data" / "vertex-pricing-tabs.html"
SIZES_MB = (0.5, 1, 2, 4)


def page_of(megabytes: float) -> bytes:
    """The test page's tables repeated to about `megabytes`, every copy its own models."""
    text = PAGE.read_text()
    head, rest = text.split("<body>", 1)
    body, tail = rest.rsplit("</body>", 1)
    parts, size, copy = [head, "<body>"], 0, 0
    while size < megabytes * 1_000_000:
        chunk = (body.replace("Gemini 9.9", f"Gemini {copy}.9")
                 .replace("Claude Sonnet 9", f"Claude Sonnet {copy}")
                 .replace("tab-", f"tab{copy}-"))
        parts.append(chunk)
        size += len(chunk)
        copy += 1
    parts.append("</body>" + tail)
    return "".join(parts).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    seconds: dict[float, float] = {}
    for megabytes in SIZES_MB:
        body = page_of(megabytes)
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            records = parse_pricing(body, datetime.now(UTC)).records
            times.append(time.perf_counter() - started)
        seconds[megabytes] = statistics.median(times)
        print(f"{len(body) / 1e6:5.2f} MB  {len(records):6d} records  "
              f"{seconds[megabytes]:7.2f} s  "
              f"{seconds[megabytes] / seconds[SIZES_MB[0]]:5.2f}x the 0.5 MB page")
    print(json.dumps({"seconds_by_mb": seconds,
                      "ratio_at_8x_size": round(seconds[4] / seconds[0.5], 2)}))


if __name__ == "__main__":
    main()
