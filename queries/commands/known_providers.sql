-- Every provider the warehouse holds offers of (filters are checked against these).
SELECT DISTINCT provider FROM offer_history ORDER BY provider
