-- Registers the cluster's nodes. Runs once, on the coordinator's first start (an empty data
-- directory), in database `switchboard`, after the image's 001-create-citus-extension.sql and
-- init-roles.sql; compose.yaml starts the coordinator only once both workers are healthy.
--
-- Addresses, not service names: the workers' pg_hba.conf admits the Switchboard roles by the
-- coordinator's address, so every address here is a fixed one of compose.yaml's `citus` network.
-- The coordinator is registered too, so that it holds a copy of every reference table (joins with
-- them stay local) and the workers, which receive the metadata, know where it is. It holds no
-- shard of a distributed table.
SELECT citus_set_coordinator_host('172.28.0.10', 5432);
SELECT citus_add_node('172.28.0.11', 5432);
SELECT citus_add_node('172.28.0.12', 5432);

-- For the container's log.
SELECT nodeid, groupid, nodename, nodeport, noderole, shouldhaveshards FROM pg_dist_node ORDER BY groupid;
