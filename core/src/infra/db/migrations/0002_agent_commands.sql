-- Commands the control plane sends to agents, persisted so that a restart loses none.

create table agent_commands (
  id uuid primary key,
  -- null until the scheduler has placed the command on an agent
  agent_id uuid references agents(id) on delete cascade,
  session_id uuid references sessions(id) on delete cascade,
  action text not null check (action in ('session.start', 'session.stop', 'session.hibernate', 'session.wake', 'session.list')),
  spec jsonb,
  -- queued: waits for delivery; sent: delivered, not yet acknowledged; acked: the agent works on it
  state text not null default 'queued'
    check (state in ('queued', 'sent', 'acked', 'succeeded', 'failed', 'cancelled')),
  attempts integer not null default 0,
  max_attempts integer not null,
  -- when to deliver again if the agent has not acknowledged (null: wait for the agent to connect)
  next_attempt_at timestamptz,
  deadline_at timestamptz not null,
  result jsonb,
  error_code text,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz
);

-- Idempotent by session: at most one open command per session at any time.
create unique index agent_commands_one_open_per_session on agent_commands (session_id)
  where state in ('queued', 'sent', 'acked');
create index agent_commands_open on agent_commands (agent_id, state) where state in ('queued', 'sent', 'acked');
