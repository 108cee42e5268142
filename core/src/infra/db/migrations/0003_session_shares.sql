-- Session shares for the VNC relay: another user may watch (view) or use (control) a session.
create table session_shares (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references sessions(id) on delete cascade,
  user_id uuid not null references users(id) on delete cascade,
  level text not null check (level in ('view', 'control')),
  expires_at timestamptz,
  created_at timestamptz not null default now(),
  created_by uuid references users(id) on delete set null,
  unique (session_id, user_id)
);
create index session_shares_user on session_shares (user_id);
