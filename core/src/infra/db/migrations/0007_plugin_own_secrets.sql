-- Plugin secrets come from an admin (names the manifest lists) or from the plugin itself (host:api secrets.set);
-- the two never share a row, and the admin API sees only its own.
alter table plugin_secrets add column owner text not null default 'admin' check (owner in ('admin', 'plugin'));
alter table plugin_secrets drop constraint plugin_secrets_pkey;
alter table plugin_secrets add primary key (install_id, owner, name);
