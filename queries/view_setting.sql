-- A numeric view setting by name (view_settings is written from the configuration).
CREATE OR REPLACE MACRO view_setting(setting_name) AS (
    SELECT CAST(value AS DECIMAL(18, 6)) FROM view_settings WHERE name = setting_name
);
