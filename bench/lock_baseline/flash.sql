-- The flash sale, the lock-based way (pgbench script, -D sections=1): a
-- best-available 1-seat hold as in hold.sql, then, in a second transaction,
-- its purchase. A sale is a seat the second UPDATE marks sold; they are
-- counted afterwards (status = 'sold').
\set section 1
\set seat -1
BEGIN;
SELECT seat FROM baseline_seats WHERE section = :section AND status = 'free' ORDER BY seat LIMIT 1 FOR UPDATE \aset
UPDATE baseline_seats SET status = 'held', held_by = :client_id WHERE section = :section AND seat = :seat AND status = 'free';
COMMIT;
BEGIN;
UPDATE baseline_seats SET status = 'sold' WHERE section = :section AND seat = :seat AND status = 'held' AND held_by = :client_id;
COMMIT;
