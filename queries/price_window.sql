-- price_window_holds(utc_days, utc_start_minute, utc_end_minute, ts): whether a price's
-- time window holds at `ts`: its UTC weekday is one of utc_days ('' = every day) and its
-- minute of the UTC day is in [utc_start_minute, utc_end_minute). A price without a window
-- ('', 0, 1440) holds at every time. Windows never cross midnight (the parser splits them).
CREATE OR REPLACE MACRO price_window_holds(days, start_minute, end_minute, ts) AS
    (days = '' OR contains(',' || days || ',',
                           ',' || lower(strftime(timezone('UTC', CAST(ts AS TIMESTAMPTZ)), '%a'))
                           || ','))
    AND hour(timezone('UTC', CAST(ts AS TIMESTAMPTZ))) * 60
        + minute(timezone('UTC', CAST(ts AS TIMESTAMPTZ)))
        BETWEEN start_minute AND end_minute - 1;

-- price_window_text(utc_days, utc_start_minute, utc_end_minute): a window for people,
-- 'sat,sun 00:00-24:00 UTC'; '' for a price without one.
CREATE OR REPLACE MACRO price_window_text(days, start_minute, end_minute) AS
    CASE WHEN (days, start_minute, end_minute) = ('', 0, 1440) THEN ''
         ELSE trim(days || ' ' || lpad(CAST(start_minute // 60 AS VARCHAR), 2, '0') || ':'
                   || lpad(CAST(start_minute % 60 AS VARCHAR), 2, '0') || '-'
                   || lpad(CAST(end_minute // 60 AS VARCHAR), 2, '0') || ':'
                   || lpad(CAST(end_minute % 60 AS VARCHAR), 2, '0')) || ' UTC' END;
