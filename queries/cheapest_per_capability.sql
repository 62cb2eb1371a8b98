-- Now, with the configured blend (mix_input:mix_output, cache_share): see cheapest_as_of.
CREATE OR REPLACE VIEW cheapest_per_capability AS
SELECT * FROM cheapest_as_of(now(), view_setting('mix_input'), view_setting('mix_output'),
                             view_setting('cache_share'));
