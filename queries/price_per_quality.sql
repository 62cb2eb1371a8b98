-- Now, with the configured blend (mix_input:mix_output): see price_per_quality_as_of.
CREATE OR REPLACE VIEW price_per_quality AS
SELECT * FROM price_per_quality_as_of(now(), view_setting('mix_input'),
                                      view_setting('mix_output'));
