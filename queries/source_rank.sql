-- Which source's price wins when two priced the same key at the same time: lower first. An
-- exact machine-readable source (Vertex's Billing Catalog) over a page that rounds.
-- prices_as_of and cost_of both pick by it.
CREATE OR REPLACE MACRO source_rank(source) AS (CASE source WHEN 'vertex.skus' THEN 0 ELSE 1 END);
