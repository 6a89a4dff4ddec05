-- The lock-based baseline of issue 6, directly on PostgreSQL with nothing in
-- front: one row per seat, as the seed projects keep it. psql variables:
-- sections, seats (per section). Run by bench/run.sh before each pgbench run.
set client_min_messages = warning;
drop table if exists baseline_seats;
create table baseline_seats (
  section integer not null,
  seat integer not null,
  status text not null default 'free' check (status in ('free', 'held', 'sold')),
  held_by integer,
  primary key (section, seat));
insert into baseline_seats (section, seat)
  select s, n from generate_series(1, :sections) s, generate_series(1, :seats) n;
vacuum analyze baseline_seats;
