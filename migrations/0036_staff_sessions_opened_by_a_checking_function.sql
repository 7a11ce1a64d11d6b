-- A member of staff's session is opened by `sb.open_staff_session`, which checks the login as the
-- authenticator's policy did (issue 18). `sb.platform_sessions` references `sb.platform_staff`,
-- both reference tables on Citus, and before writing the one Citus locks the other on every node
-- with a function that demands the right to write it: the authenticator, which may only read a
-- few of its columns, was refused ("permission denied for table platform_staff") and no member of
-- staff could sign in on a cluster. The function asks the same question (the login e-mail names
-- this member of staff) and inserts as the owner; the authenticator may no longer insert sessions
-- of staff directly. Managers' sessions are distributed with their managers and keep their policy.
SET LOCAL ROLE sb_owner;

CREATE FUNCTION sb.open_staff_session(session uuid, staff uuid, token_hash bytea, expires timestamptz) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, sb
    AS $$
    BEGIN
        IF NOT sb.login_names_staff(staff) THEN
            RAISE EXCEPTION 'new row violates row-level security policy for table "platform_sessions"' USING ERRCODE = '42501';
        END IF;
        INSERT INTO sb.platform_sessions (id, staff_id, token_hash, expires_at) VALUES (session, staff, token_hash, expires);
    END
    $$;
REVOKE ALL ON FUNCTION sb.open_staff_session(uuid, uuid, bytea, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb.open_staff_session(uuid, uuid, bytea, timestamptz) TO sb_authenticator;

DROP POLICY authenticator_opens_for_checked_login ON sb.platform_sessions;
REVOKE INSERT ON sb.platform_sessions FROM sb_authenticator;
