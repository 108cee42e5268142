-- Plugins: content-addressed bundles, installs, per-install KV with a quota, encrypted secrets, recent errors.

create table plugin_bundles (
  sha256 text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  manifest jsonb not null,
  bundle text not null,
  bytes integer not null,
  created_at timestamptz not null default now()
);

create table plugin_installs (
  id uuid primary key default gen_random_uuid(),
  plugin_id text not null unique,
  version text not null,
  bundle_sha256 text not null references plugin_bundles(sha256),
  config jsonb not null default '{}',
  permissions_granted jsonb not null default '{}',
  enabled boolean not null default true,
  priority integer not null default 100,
  status text not null default 'stopped' check (status in ('stopped', 'loading', 'running', 'crashed', 'failed')),
  last_error jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table plugin_kv (
  install_id uuid not null references plugin_installs(id) on delete cascade,
  key text not null,
  value jsonb not null,
  -- Bytes of key plus JSON value, as counted against the install's kv quota.
  size integer not null,
  expires_at timestamptz,
  primary key (install_id, key)
);
create index plugin_kv_expires on plugin_kv (expires_at) where expires_at is not null;

-- AES-256-GCM; the install id and name are the additional data, so a row cannot be moved.
create table plugin_secrets (
  install_id uuid not null references plugin_installs(id) on delete cascade,
  name text not null,
  iv bytea not null,
  ciphertext bytea not null,
  tag bytea not null,
  updated_at timestamptz not null default now(),
  primary key (install_id, name)
);

create table plugin_errors (
  id bigserial primary key,
  install_id uuid not null references plugin_installs(id) on delete cascade,
  code text not null,
  message text not null,
  at timestamptz not null default now()
);
create index plugin_errors_install on plugin_errors (install_id, id desc);
