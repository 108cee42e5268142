-- Event delivery: each outbox event fans out to the plugin installs subscribed to it, one row per
-- (event, install), retried with backoff until delivered or dead (the admin's dead-letter list).

-- Set when the dispatcher has written the event's deliveries; null rows are the work queue.
alter table outbox add column dispatched_at timestamptz;
create index outbox_undispatched on outbox (id) where dispatched_at is null;

create table event_deliveries (
  event_id bigint not null references outbox(id) on delete cascade,
  install_id uuid not null references plugin_installs(id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- {code, message} of the last failed attempt.
  last_error jsonb,
  delivered_at timestamptz,
  dead_at timestamptz,
  primary key (event_id, install_id)
);
create index event_deliveries_due on event_deliveries (next_attempt_at) where status = 'pending';
create index event_deliveries_dead on event_deliveries (dead_at desc) where status = 'dead';

-- Wakes every replica's dispatcher and event stream when an event commits (NOTIFY is sent at commit).
create function outbox_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('streamspace_outbox', '');
  return null;
end $$;
create trigger outbox_notify after insert on outbox for each statement execute function outbox_notify();
