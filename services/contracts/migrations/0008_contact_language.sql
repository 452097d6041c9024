-- A contact person's own language for e-mail (fi, sv, en); '' when not known:
-- their e-mail is then in Finnish and Swedish.
ALTER TABLE contacts ADD COLUMN language text NOT NULL DEFAULT '' CHECK (language IN ('', 'fi', 'sv', 'en'));
