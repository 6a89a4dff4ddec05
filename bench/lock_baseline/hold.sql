-- One best-available 1-seat hold, the lock-based way (pgbench script; -D
-- sections=N): lock the first free seat of a random section, then mark it
-- held if it is still free. A waiter on a locked row re-checks it when the
-- holder commits and moves on to the next free seat (READ COMMITTED).
-- \aset leaves :seat at -1 when the section is full, so the UPDATE then
-- changes nothing. Successful holds are counted afterwards (status = 'held').
\set section random(1, :sections)
\set seat -1
BEGIN;
SELECT seat FROM baseline_seats WHERE section = :section AND status = 'free' ORDER BY seat LIMIT 1 FOR UPDATE \aset
UPDATE baseline_seats SET status = 'held', held_by = :client_id WHERE section = :section AND seat = :seat AND status = 'free';
COMMIT;
