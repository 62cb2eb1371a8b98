-- Now, with the configured blend (mix_input:mix_output): see quality_frontier_as_of.
CREATE OR REPLACE VIEW quality_frontier AS
SELECT * FROM quality_frontier_as_of(now(), view_setting('mix_input'),
                                     view_setting('mix_output'));
