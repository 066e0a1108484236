-- Regression spine: the value of the order placed in the session.
SELECT
    e.user_id,
    e.product_id,
    e.session_id,
    e.event_timestamp,
    e.order_value
FROM events AS e
WHERE e.event_timestamp >= CAST(:start_date AS TIMESTAMP)
  AND e.event_timestamp < CAST(:end_date AS TIMESTAMP)
ORDER BY e.event_timestamp, e.session_id
