-- The foundation: users, API keys, catalog, sessions, agents, audit, settings and the event outbox.

create table users (
  id uuid primary key default gen_random_uuid(),
  username text not null unique,
  email text unique,
  display_name text not null default '',
  role text not null check (role in ('admin', 'operator', 'user')),
  disabled boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_sign_in_at timestamptz
);

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  name text not null,
  prefix text not null,
  secret_hash text not null unique,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_user on api_keys (user_id);

create table templates (
  id uuid primary key default gen_random_uuid(),
  name text not null unique,
  display_name text not null,
  description text not null default '',
  category text not null,
  tags text[] not null default '{}',
  icon text not null default '',
  image text not null,
  vnc_port integer not null default 5900,
  resources jsonb not null,
  env jsonb not null default '{}',
  home_path text not null default '/home/user',
  allow_outbound boolean not null default false,
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index templates_category on templates (category);

create table agents (
  id uuid primary key default gen_random_uuid(),
  name text not null unique,
  platform text not null check (platform in ('docker', 'kubernetes')),
  cluster text not null default 'default',
  status text not null default 'offline' check (status in ('online', 'offline', 'revoked')),
  token_hash text not null unique,
  version text,
  capacity jsonb,
  leader_instance text,
  last_heartbeat_at timestamptz,
  created_at timestamptz not null default now(),
  token_rotated_at timestamptz not null default now()
);

create table sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  template_id uuid references templates(id) on delete set null,
  template_name text not null,
  state text not null,
  reason text,
  agent_id uuid references agents(id) on delete set null,
  resources jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  started_at timestamptz,
  stopped_at timestamptz,
  last_activity_at timestamptz
);
create index sessions_user_created on sessions (user_id, created_at desc);
create index sessions_state on sessions (state);

create table audit_events (
  id uuid primary key default gen_random_uuid(),
  at timestamptz not null default now(),
  actor_id uuid,
  actor_name text,
  action text not null,
  target_type text,
  target_id text,
  outcome text not null check (outcome in ('success', 'failure')),
  status integer not null,
  ip text,
  request_id text not null,
  detail jsonb not null default '{}'
);
create index audit_events_at on audit_events (at desc);
create index audit_events_actor on audit_events (actor_id, at desc);

create table settings (
  key text primary key,
  value jsonb not null
);

-- State changes and their events commit together; a dispatcher delivers them later.
create table outbox (
  id bigserial primary key,
  type text not null,
  payload jsonb not null,
  created_at timestamptz not null default now()
);
