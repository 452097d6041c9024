-- The sites projection keeps on which days a site is open (contracts'
-- Site.opening_schedule): 'weekdays' (Mon–Fri, closed on Finnish public
-- holidays) or 'every_day' (care homes, round-the-clock daycares). Sites
-- projected before this migration read as 'weekdays' until their next event.
ALTER TABLE sites ADD COLUMN opening_schedule text NOT NULL DEFAULT 'weekdays'
    CHECK (opening_schedule IN ('weekdays', 'every_day'));
