-- The enterprise's product catalogue (reference data). Development-project work
-- is a product of its own: the partnership model prices it separately.
INSERT INTO products (code, name, service_line, unit, vat_category, position) VALUES
    ('AAMIAINEN',        'Aamiainen',                          'meals',         'meal',     'food',     10),
    ('LOUNAS-PK',        'Päiväkodin lounas',                  'meals',         'meal',     'food',     20),
    ('LOUNAS-KOULU',     'Koululounas',                        'meals',         'meal',     'food',     30),
    ('LOUNAS-HOIVA',     'Hoivakodin lounas',                  'meals',         'meal',     'food',     40),
    ('LOUNAS-ERITYIS',   'Erityisruokavalion lounas',          'meals',         'meal',     'food',     50),
    ('VALIPALA',         'Välipala',                           'meals',         'meal',     'food',     60),
    ('PAIVALLINEN',      'Päivällinen',                        'meals',         'meal',     'food',     70),
    ('HENKILOSTOLOUNAS', 'Henkilöstölounas',                   'staff_dining',  'meal',     'food',     80),
    ('KAHVITUS',         'Kahvitus',                           'coffee',        'serving',  'food',     90),
    ('YLLAPITOSIIVOUS',  'Ylläpitosiivous',                    'cleaning',      'm2_month', 'general', 100),
    ('PERUSSIIVOUS',     'Perussiivous',                       'cleaning',      'm2',       'general', 110),
    ('LISASIIVOUS',      'Lisäsiivous',                        'cleaning',      'hour',     'general', 120),
    ('IKKUNANPESU',      'Ikkunanpesu',                        'cleaning',      'm2',       'general', 130),
    ('MONIPALVELU',      'Monipalvelutyö',                     'multi_service', 'hour',     'general', 140),
    ('KEHITTAMISTYO',    'Kehittämishankkeen työ',             'development',   'hour',     'general', 150);
