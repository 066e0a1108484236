-- Clustering spine: sessions only, no target.
SELECT
    e.user_id,
    e.product_id,
    e.session_id,
    e.event_timestamp
FROM events AS e
WHERE e.event_timestamp >= CAST(:start_date AS TIMESTAMP)
  AND e.event_timestamp < CAST(:end_date AS TIMESTAMP)
ORDER BY e.event_timestamp, e.session_id
