-- Detractor follow-up items whose answer was given in the quarter, per agency × client type: how
-- many, and how many were answered by a `followed_up` step of their request within 5 working days
-- (followup_items.sql decides both, item by item). An item without a step by the time of the
-- assessment counts as late; the monitor is not assessed until every item's deadline has passed.
SELECT
    toString(agency_id)                  AS agency,
    toString(client_type)                AS client_type_name,
    count()                              AS n,
    toUInt64(sum(within_5_working_days)) AS in_time
FROM
(
{{FOLLOWUP_ITEMS}}
)
GROUP BY agency, client_type_name
