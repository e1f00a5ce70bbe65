-- One login role and one schema per service (the staff console's holds only its sessions), and
-- one for Keycloak (the identity provider keeps
-- its realms, users and keys in the platform's Postgres); each role can use only its own schema.
--
-- Run as a superuser on the platform database (`aihub`):
--   * by docker compose's postgres image (mounted into /docker-entrypoint-initdb.d, run by psql
--     on first initialisation), and
--   * by the local launcher (deploy/local, `aihub-local infra up`) on every start.
-- Idempotent: safe to run any number of times. Plain SQL only (no psql meta-commands), so any
-- client can execute it.
--
-- DEV-ONLY PASSWORDS: each role's password equals its name (applications/applications,
-- keycloak/keycloak, ...).
-- They are set only when the role is created; anything beyond a developer machine or CI must
-- create the roles with real secrets first (or ALTER ROLE ... PASSWORD afterwards).

DO $provision$
DECLARE
    service text;
BEGIN
    FOREACH service IN ARRAY ARRAY['applications', 'programs', 'notifications', 'console', 'keycloak'] LOOP
        -- The login role.
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = service) THEN
            EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', service, service);
        END IF;
        EXECUTE format(
            'ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS',
            service);

        -- Its schema, owned by it, and found first without qualification.
        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', service, service);
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', service, service);
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', service);
        EXECUTE format('ALTER ROLE %I SET search_path = %I', service, service);

        -- It may connect to this database, nothing more at database level (no TEMP tables).
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), service);
    END LOOP;

    -- Nobody but the roles above (and superusers) may connect; nobody creates temp tables.
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$provision$;

-- The public schema is for nobody (Postgres 15 already withholds CREATE; USAGE goes too).
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- No cross-schema grants: undo any that may have been given by hand, in either direction.
DO $isolate$
DECLARE
    owner_role text;
    other_role text;
BEGIN
    FOREACH owner_role IN ARRAY ARRAY['applications', 'programs', 'notifications', 'console', 'keycloak'] LOOP
        FOREACH other_role IN ARRAY ARRAY['applications', 'programs', 'notifications', 'console', 'keycloak'] LOOP
            IF owner_role <> other_role THEN
                EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', owner_role, other_role);
                EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', owner_role, other_role);
                EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', owner_role, other_role);
                EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM %I', owner_role, other_role);
                IF pg_catalog.pg_has_role(other_role, owner_role, 'MEMBER') THEN
                    EXECUTE format('REVOKE %I FROM %I', owner_role, other_role);
                END IF;
            END IF;
        END LOOP;
        EXECUTE format('REVOKE ALL ON SCHEMA public FROM %I', owner_role);
    END LOOP;
END
$isolate$;
