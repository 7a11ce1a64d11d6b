-- Manager logins are unique per reseller, not platform-wide (issue 13, DESIGN §8): a platform-wide
-- unique e-mail let one reseller learn from a 409 which addresses another reseller's managers use.
-- Logging in finds every active manager with the e-mail and the password says which one it is.
SET LOCAL ROLE sb_owner;

DROP INDEX sb.managers_email_key;
CREATE UNIQUE INDEX managers_reseller_email_key ON sb.managers (reseller_id, email);
-- Logging in looks managers up by e-mail alone.
CREATE INDEX managers_by_email ON sb.managers (email);
