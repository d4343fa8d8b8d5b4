-- NGS1.02.08: a new password must differ from the current and the previous one.
ALTER TABLE users ADD COLUMN previous_password_hash text;
