-- The first day a site is served: fixed monthly services are billed pro rata from it.
ALTER TABLE sites ADD COLUMN opened_on date;
ALTER TABLE sites ADD CONSTRAINT sites_opened_before_closed CHECK (opened_on IS NULL OR closed_on IS NULL OR opened_on < closed_on);
