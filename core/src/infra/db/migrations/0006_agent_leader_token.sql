-- The highest fencing token any replica of the agent has claimed leadership with: lower ones are deposed leaders.
alter table agents add column leader_token bigint;
