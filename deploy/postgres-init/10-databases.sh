#!/bin/sh
# First start of the PostgreSQL volume only: one user per system, each owning its own databases.
# Temporal's user cannot read Tidings' store, and Tidings' user cannot touch Temporal's history.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_pw="$TEMPORAL_DB_PASSWORD" -v tidings_pw="$TIDINGS_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN PASSWORD :'temporal_pw';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
CREATE ROLE tidings LOGIN PASSWORD :'tidings_pw';
CREATE DATABASE tidings OWNER tidings;
REVOKE CONNECT ON DATABASE tidings FROM PUBLIC;
REVOKE CONNECT ON DATABASE temporal FROM PUBLIC;
REVOKE CONNECT ON DATABASE temporal_visibility FROM PUBLIC;
SQL
