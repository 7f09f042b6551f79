-- The application's database role, least privilege: it logs in, owns the application database, its schemas and
-- their tables, and nothing else (no superuser, CREATEROLE, CREATEDB, replication or role memberships such as
-- pg_execute_server_program). Idempotent: the image's initdb runs it on an empty volume
-- (/docker-entrypoint-initdb.d) and the postgres-init step on every start (AppHost/ApplicationRole.cs), connected as the
-- superuser to the application database. The role and its password come from the environment
-- (POSTGRES_APP_USER, POSTGRES_APP_PASSWORD), never from a command line.
\set ON_ERROR_STOP on
\getenv app_user POSTGRES_APP_USER
\getenv app_password POSTGRES_APP_PASSWORD
\if :{?app_user}
\else
\set app_user ''
\endif
\if :{?app_password}
\else
\set app_password ''
\endif
SELECT :'app_user' = '' OR :'app_password' = '' AS app_role_unset \gset
\if :app_role_unset
DO $$ BEGIN RAISE EXCEPTION 'app-role.sql: POSTGRES_APP_USER or POSTGRES_APP_PASSWORD is empty: give the application role a password (AppHost parameter postgres-app-password; POSTGRES_APP_PASSWORD in .env or secrets.env)'; END $$;
\endif

BEGIN;
-- Several runs may start at once (one Kubernetes init container per pod): they take turns.
SELECT pg_advisory_xact_lock(hashtext('ichrisbirch.app-role')) AS app_role_locked \gset

SELECT format('CREATE ROLE %I', :'app_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \gexec
ALTER ROLE :"app_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD :'app_password';
SELECT format('REVOKE %I FROM %I', granted.rolname, :'app_user')
  FROM pg_auth_members m JOIN pg_roles granted ON granted.oid = m.roleid JOIN pg_roles member ON member.oid = m.member
 WHERE member.rolname = :'app_user' \gexec

-- Ownership: the database, every schema but the system's, and their tables, views and free-standing sequences
-- (a serial or identity column's sequence follows its table). A database made before the role existed is upgraded.
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'app_user') \gexec
SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname, :'app_user')
  FROM pg_namespace n
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema' AND pg_get_userbyid(n.nspowner) <> :'app_user' \gexec
SELECT format('ALTER %s %I.%I OWNER TO %I',
              CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              n.nspname, c.relname, :'app_user')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND pg_get_userbyid(c.relowner) <> :'app_user'
   AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d
                                         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))) \gexec
COMMIT;
