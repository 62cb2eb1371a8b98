-- Figures and times as text, as pricewatch/text.py writes them in Python: one format each,
-- whichever side prints it.

-- An exact decimal as people write it: 0.15, not 0.150000000000000000 (NULL stays NULL).
CREATE OR REPLACE MACRO decimal_text(x) AS (
    CASE WHEN CAST(x AS VARCHAR) LIKE '%.%'
         THEN rtrim(rtrim(CAST(x AS VARCHAR), '0'), '.')
         ELSE CAST(x AS VARCHAR) END
);

-- A price in a message: its decimal_text, or 'none'.
CREATE OR REPLACE MACRO price_text(x) AS (coalesce(decimal_text(x), 'none'));

-- ISO 8601 in UTC with a Z; microseconds only when the time has them (text.iso_utc).
CREATE OR REPLACE MACRO iso_utc(ts) AS (
    strftime(timezone('UTC', ts), '%Y-%m-%dT%H:%M:%S')
    || CASE WHEN microsecond(ts) % 1000000 = 0 THEN ''
            ELSE '.' || lpad(CAST(microsecond(ts) % 1000000 AS VARCHAR), 6, '0') END
    || 'Z'
);
