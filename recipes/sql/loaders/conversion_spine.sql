-- Classification spine: did the session convert?
SELECT
    e.user_id,
    e.product_id,
    e.session_id,
    e.event_timestamp,
    e.converted
FROM events AS e
WHERE e.event_timestamp >= CAST(:start_date AS TIMESTAMP)
  AND e.event_timestamp < CAST(:end_date AS TIMESTAMP)
ORDER BY e.event_timestamp, e.session_id
