-- On which days a site is open: 'weekdays' (Mon–Fri, closed on Finnish public
-- holidays) or 'every_day' (care homes, round-the-clock daycares).
ALTER TABLE sites ADD COLUMN opening_schedule text NOT NULL DEFAULT 'weekdays'
    CHECK (opening_schedule IN ('weekdays', 'every_day'));
UPDATE sites SET opening_schedule = 'every_day' WHERE kind = 'care_home';
