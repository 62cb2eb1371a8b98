-- The UTC months of the current new_cheapest alerts: an alert is dated when the winner's
-- price began, so a new winner rewrites a month that may be long past.
SELECT DISTINCT strftime(timezone('UTC', price_since), '%Y-%m') AS month
FROM cheapest_per_capability WHERE rank = 1 AND NOT is_free
