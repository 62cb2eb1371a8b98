-- A numeric view setting by name (view_settings is written from the configuration).
CREATE OR REPLACE MACRO view_setting(setting_name) AS (
    SELECT CAST(value AS DECIMAL(18, 6)) FROM view_settings WHERE name = setting_name
);

-- A decimal as people write it: 0.15, not 0.150000000000000000.
CREATE OR REPLACE MACRO price_text(x) AS (
    CASE WHEN x IS NULL THEN 'none'
         WHEN CAST(x AS VARCHAR) LIKE '%.%'
         THEN rtrim(rtrim(CAST(x AS VARCHAR), '0'), '.')
         ELSE CAST(x AS VARCHAR) END
);
