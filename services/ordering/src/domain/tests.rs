//! Unit tests of the pure rules.

use super::*;
use chrono::TimeZone;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const SITE: Uuid = Uuid::from_u128(1);
const CUSTOMER: Uuid = Uuid::from_u128(2);
const CLOSED_SITE: Uuid = Uuid::from_u128(3);
const OTHER_SITE: Uuid = Uuid::from_u128(4);
const OTHER_CUSTOMER: Uuid = Uuid::from_u128(5);
const AGREEMENT: Uuid = Uuid::from_u128(10);

fn principal(role: Role, customer: Option<Uuid>, site: Option<Uuid>, grants: &[&str]) -> Principal {
    Principal {
        subject: "someone".into(),
        name: String::new(),
        email: String::new(),
        role,
        customer_id: customer,
        site_id: site,
        grants: grants.iter().map(|g| (*g).to_owned()).collect(),
    }
}
fn site_user() -> Principal {
    principal(Role::SiteUser, Some(CUSTOMER), Some(SITE), &[])
}
fn staff() -> Principal {
    principal(Role::EnterpriseStaff, None, None, &[])
}

/// Monday 1.3.2027 at 10:00 Helsinki time.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap()
}
fn today() -> NaiveDate {
    d(2027, 3, 1)
}

/// SITE (open) and CLOSED_SITE (closed from 15.3.) of CUSTOMER; OTHER_SITE of
/// OTHER_CUSTOMER. The 2027 agreement is signed for meals at SITE and CLOSED_SITE;
/// a draft covers cleaning; meals close 2 working days before at 12:00.
fn ctx() -> Context {
    let site = |customer, name: &str, closed_on| Site { customer, name: name.into(), closed_on, every_day: false };
    let product = |name: &str, line: &str| Product { name: name.into(), service_line: line.into() };
    Context {
        sites: HashMap::from([
            (SITE, site(CUSTOMER, "Päiväkoti Pikku", None)),
            (CLOSED_SITE, site(CUSTOMER, "Vanha koulu", Some(d(2027, 3, 15)))),
            (OTHER_SITE, site(OTHER_CUSTOMER, "Naapurikunta", None)),
        ]),
        products: HashMap::from([
            ("LOUNAS-PK".to_owned(), product("Lounas", "meals")),
            ("LISASIIVOUS".to_owned(), product("Lisäsiivous", "cleaning")),
            ("KAHVI".to_owned(), product("Kahvi", "coffee")),
        ]),
        agreements: vec![
            Agreement {
                id: AGREEMENT,
                customer: CUSTOMER,
                year: 2027,
                status: "signed".into(),
                lines: vec![("meals".into(), HashSet::from([SITE, CLOSED_SITE]))],
            },
            Agreement {
                id: Uuid::from_u128(11),
                customer: CUSTOMER,
                year: 2027,
                status: "draft".into(),
                lines: vec![("cleaning".into(), HashSet::from([SITE]))],
            },
            Agreement {
                id: Uuid::from_u128(12),
                customer: CUSTOMER,
                year: 2026,
                status: "expired".into(),
                lines: vec![("meals".into(), HashSet::from([SITE]))],
            },
        ],
        rules: HashMap::from([((None, "meals".to_owned()), CutoffRule { working_days: 2, hour: 12 })]),
    }
}

fn line(site: Uuid, day: NaiveDate, product: &'static str, quantity: i32) -> OrderLine<'static> {
    OrderLine { site, day, product, diet: "", quantity }
}

fn rejected(i: Intake) -> (&'static str, String) {
    match i {
        Intake::Rejected(r) => (r.field, r.reason),
        other => panic!("not rejected: {other:?}"),
    }
}

#[test]
fn a_line_before_the_cut_off_is_accepted_with_its_key_and_customer() {
    let day = d(2027, 3, 10);
    let l = OrderLine { diet: "  Gluteeniton ", ..line(SITE, day, "LOUNAS-PK", 42) };
    assert_eq!(
        classify(&l, &ctx(), &site_user(), now(), today()),
        Intake::Accepted(Placement { key: (SITE, day, "LOUNAS-PK".into(), "gluteeniton".into()), customer: CUSTOMER, quantity: 42 })
    );
}

#[test]
fn after_the_cut_off_a_line_becomes_a_late_change_request_but_staff_are_not_held_to_it() {
    // Tuesday's meals closed on Thursday 25.2. at 12:00; Wednesday's close today at 12:00 (now is 10:00).
    let tuesday = line(SITE, d(2027, 3, 2), "LOUNAS-PK", 3);
    assert!(matches!(classify(&tuesday, &ctx(), &site_user(), now(), today()), Intake::LateChange(_)));
    assert!(matches!(classify(&tuesday, &ctx(), &staff(), now(), today()), Intake::Accepted(_)));
    let wednesday = line(SITE, d(2027, 3, 3), "LOUNAS-PK", 3);
    assert!(matches!(classify(&wednesday, &ctx(), &site_user(), now(), today()), Intake::Accepted(_)));
    let at_noon = Utc.with_ymd_and_hms(2027, 3, 1, 10, 0, 1).unwrap();
    assert!(matches!(classify(&wednesday, &ctx(), &site_user(), at_noon, today()), Intake::LateChange(_)));
}

#[test]
fn an_agreement_rule_overrides_the_default_cut_off() {
    let mut c = ctx();
    c.rules.insert((Some(AGREEMENT), "meals".into()), CutoffRule { working_days: 5, hour: 9 });
    let l = line(SITE, d(2027, 3, 5), "LOUNAS-PK", 3);
    assert!(matches!(classify(&l, &ctx(), &site_user(), now(), today()), Intake::Accepted(_)));
    assert!(matches!(classify(&l, &c, &site_user(), now(), today()), Intake::LateChange(_)));
    assert_eq!(c.rule(Uuid::from_u128(99), "cleaning"), DEFAULT_CUTOFF);
}

#[test]
fn a_closed_site_is_rejected_from_its_closing_day() {
    let ctx = ctx();
    assert_eq!(
        rejected(classify(&line(CLOSED_SITE, d(2027, 3, 15), "LOUNAS-PK", 1), &ctx, &staff(), now(), today())),
        ("site_id", "the site is closed from 15.3.2027".into())
    );
    assert!(matches!(classify(&line(CLOSED_SITE, d(2027, 3, 12), "LOUNAS-PK", 1), &ctx, &staff(), now(), today()), Intake::Accepted(_)));
}

#[test]
fn a_weekdays_site_is_closed_on_weekends_and_holidays_an_every_day_site_is_not() {
    let mut ctx = ctx();
    // Sun 7.3.2027 is a weekend day; Independence Day 6.12.2029 is a Thursday.
    let (sunday, independence, monday) = (d(2027, 3, 7), d(2029, 12, 6), d(2027, 3, 8));
    assert_eq!(ctx.sites[&SITE].closed_reason(monday), None);
    assert!(ctx.sites[&SITE].closed_reason(sunday).unwrap().contains("weekend"));
    assert!(ctx.sites[&SITE].closed_reason(independence).unwrap().contains("Itsenäisyyspäivä"));
    let (field, reason) = rejected(classify(&line(SITE, sunday, "LOUNAS-PK", 5), &ctx, &staff(), now(), today()));
    assert_eq!(field, "service_day");
    assert!(reason.starts_with("7.3.2027"), "{reason}");
    assert_eq!(materializable(&ctx, &(SITE, sunday, "LOUNAS-PK".into(), String::new()), CUSTOMER), Err(Skip::Closed));
    ctx.sites.get_mut(&SITE).unwrap().every_day = true;
    assert_eq!(ctx.sites[&SITE].closed_reason(independence), None);
    assert!(matches!(classify(&line(SITE, sunday, "LOUNAS-PK", 5), &ctx, &staff(), now(), today()), Intake::Accepted(_)));
}

#[test]
fn unknown_sites_and_products_are_rejected() {
    let ctx = ctx();
    let day = d(2027, 3, 10);
    assert_eq!(rejected(classify(&line(Uuid::from_u128(77), day, "LOUNAS-PK", 1), &ctx, &staff(), now(), today())).0, "site_id");
    assert_eq!(
        rejected(classify(&line(SITE, day, "NO-SUCH", 1), &ctx, &staff(), now(), today())),
        ("product_code", "is not a product of the catalogue".into())
    );
}

#[test]
fn a_line_needs_a_signed_agreement_for_the_products_service_line() {
    let ctx = ctx();
    let reason = |product, day| rejected(classify(&line(SITE, day, product, 1), &ctx, &staff(), now(), today())).1;
    assert_eq!(reason("LISASIIVOUS", d(2027, 3, 10)), "the 2027 service agreement is not signed yet (draft)");
    assert_eq!(reason("KAHVI", d(2027, 3, 10)), "no signed 2027 service agreement covers coffee at this site");
    assert_eq!(reason("LOUNAS-PK", d(2028, 1, 10)), "no signed 2028 service agreement covers meals at this site");
    let expired = classify(&line(SITE, d(2026, 12, 1), "LOUNAS-PK", 1), &ctx, &staff(), now(), d(2026, 11, 1));
    assert_eq!(rejected(expired).1, "the 2026 service agreement has expired");
    let active = Agreement { status: "active".into(), id: Uuid::from_u128(13), ..ctx.agreements[2].clone() };
    let mut c2 = ctx.clone();
    c2.agreements.push(active);
    assert_eq!(c2.covering(SITE, CUSTOMER, "meals", d(2026, 12, 1)), Ok(Uuid::from_u128(13)), "a signed or active one wins");
}

#[test]
fn quantities_must_be_between_zero_and_the_maximum_and_zero_is_accepted_as_a_cancellation() {
    let ctx = ctx();
    let day = d(2027, 3, 10);
    assert_eq!(rejected(classify(&line(SITE, day, "LOUNAS-PK", -5), &ctx, &site_user(), now(), today())).0, "quantity");
    assert_eq!(rejected(classify(&line(SITE, day, "LOUNAS-PK", MAX_QUANTITY + 1), &ctx, &site_user(), now(), today())).0, "quantity");
    assert!(matches!(classify(&line(SITE, day, "LOUNAS-PK", 0), &ctx, &site_user(), now(), today()), Intake::Accepted(_)));
    // Quantity is checked before anything else.
    assert_eq!(rejected(classify(&line(Uuid::from_u128(77), day, "NO-SUCH", -1), &ctx, &staff(), now(), today())).0, "quantity");
}

#[test]
fn long_diets_past_days_and_foreign_sites_are_rejected() {
    let ctx = ctx();
    let long = "x".repeat(61);
    let l = OrderLine { diet: &long, ..line(SITE, d(2027, 3, 10), "LOUNAS-PK", 1) };
    assert_eq!(rejected(classify(&l, &ctx, &site_user(), now(), today())).0, "diet");
    assert_eq!(
        rejected(classify(&line(SITE, d(2027, 2, 26), "LOUNAS-PK", 1), &ctx, &staff(), now(), today())),
        ("service_day", "has passed; report what was delivered instead".into())
    );
    assert_eq!(
        rejected(classify(&line(OTHER_SITE, d(2027, 3, 10), "LOUNAS-PK", 1), &ctx, &site_user(), now(), today())),
        ("site_id", OUTSIDE_SCOPE.into())
    );
}

#[test]
fn a_repeated_line_is_rejected_and_parse_errors_pass_through() {
    let day = d(2027, 3, 10);
    let lines = vec![
        Ok(line(SITE, day, "LOUNAS-PK", 1)),
        Err(Rejection::new("site_id", "must be a UUID")),
        Ok(OrderLine { diet: " ", ..line(SITE, day, "LOUNAS-PK", 2) }),
        Ok(line(SITE, day, "NO-SUCH", 2)),
    ];
    let out = classify_all(&lines, &ctx(), &site_user(), now(), today());
    assert!(matches!(out[0], Intake::Accepted(_)));
    assert_eq!(rejected(out[1].clone()), ("site_id", "must be a UUID".into()));
    assert_eq!(rejected(out[2].clone()), ("product_code", "the same site, day, product and diet is already in line 0".into()));
    assert_eq!(rejected(out[3].clone()).0, "product_code");
}

#[test]
fn the_change_of_a_write_follows_the_previous_quantity() {
    assert_eq!(OrderChange::of(None, 5), OrderChange::Placed);
    assert_eq!(OrderChange::of(None, 0), OrderChange::Unchanged, "0 where nothing is ordered changes nothing");
    assert_eq!(OrderChange::of(Some(5), 7), OrderChange::Changed);
    assert_eq!(OrderChange::of(Some(5), 0), OrderChange::Cancelled);
    assert_eq!(OrderChange::of(Some(5), 5), OrderChange::Unchanged, "the same quantity again is a no-op");
    assert_eq!(OrderChange::of(Some(0), 3).event_type(), Some("ordering.order.changed"));
    assert_eq!(OrderChange::of(Some(3), 3).event_type(), None);
}

#[test]
fn channels_come_from_the_callers_role_and_round_trip_as_text() {
    assert_eq!(channel_of(&site_user()), pb::Channel::Portal);
    assert_eq!(channel_of(&staff()), pb::Channel::Staff);
    assert_eq!(channel_of(&principal(Role::SystemClient, None, None, &["orders:write"])), pb::Channel::OrderingSystem);
    for c in [pb::Channel::Portal, pb::Channel::OrderingSystem, pb::Channel::Staff] {
        assert_eq!(channel_from(channel_text(c)), c);
    }
    assert_eq!(channel_text(pb::Channel::Unspecified), "portal");
    assert_eq!(late_status_text(pb::LateChangeStatus::Declined as i32), Some("declined"));
    assert_eq!(late_status_text(0), None);
    assert_eq!(late_status_from("accepted"), pb::LateChangeStatus::Accepted as i32);
}

#[test]
fn scope_predicates() {
    let system = |customer, grants: &[&str]| principal(Role::SystemClient, customer, None, grants);
    let contact = principal(Role::CustomerContact, Some(CUSTOMER), None, &[]);
    assert!(may_order(&staff(), OTHER_SITE, OTHER_CUSTOMER));
    assert!(may_order(&contact, OTHER_SITE, CUSTOMER) && !may_order(&contact, OTHER_SITE, OTHER_CUSTOMER));
    assert!(may_order(&site_user(), SITE, CUSTOMER) && !may_order(&site_user(), CLOSED_SITE, CUSTOMER));
    assert!(may_order(&system(None, &["orders:write"]), SITE, CUSTOMER));
    assert!(!may_order(&system(Some(OTHER_CUSTOMER), &["orders:write"]), SITE, CUSTOMER));
    assert!(!may_order(&system(None, &["orders:read"]), SITE, CUSTOMER));
    assert!(may_read(&system(None, &["orders:read"]), SITE, CUSTOMER));
    assert!(!may_read(&system(None, &["registry:read"]), SITE, CUSTOMER));
    assert!(may_confirm_deliveries(&staff()) && may_confirm_deliveries(&system(None, &["deliveries:write"])));
    assert!(!may_confirm_deliveries(&contact) && !may_confirm_deliveries(&system(None, &["orders:write"])));
    assert!(may_materialize(&system(None, &["orders:write"])) && !may_materialize(&site_user()));
    let found = || Some((CUSTOMER, "Päiväkoti".to_owned()));
    assert!(
        delivery_site(&system(Some(CUSTOMER), &["deliveries:write"]), SITE, found()).is_ok(),
        "the production system reads what it confirms"
    );
    assert!(delivery_site(&system(Some(OTHER_CUSTOMER), &["deliveries:write"]), SITE, found()).is_err());
    let refused = readable_site(&system(None, &["deliveries:write"]), SITE, found()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("orders:read or orders:write"), "the refusal names the grants: {refused}");
    assert_eq!(budget_scope(&contact, CUSTOMER).unwrap(), None);
    assert!(budget_scope(&contact, OTHER_CUSTOMER).is_err());
    assert_eq!(budget_scope(&site_user(), CUSTOMER).unwrap(), Some(SITE), "a site user sees only their site");
    assert!(budget_scope(&system(None, &["registry:read"]), CUSTOMER).is_err());
    assert!(budget_scope(&system(Some(OTHER_CUSTOMER), &["orders:read"]), CUSTOMER).is_err());
    assert_eq!(customer_restriction(&site_user()).unwrap(), Some(CUSTOMER));
    assert_eq!(customer_restriction(&system(None, &["orders:write"])).unwrap(), None);
    assert!(customer_restriction(&principal(Role::CustomerContact, None, None, &[])).is_err());
    assert_eq!(readable_site(&site_user(), SITE, Some((CUSTOMER, "A".into()))).unwrap(), (CUSTOMER, "A".into()));
    assert_eq!(readable_site(&site_user(), SITE, None).unwrap_err().code, kumppani_platform::ErrorCode::NotFound);
    assert_eq!(
        readable_site(&site_user(), OTHER_SITE, Some((OTHER_CUSTOMER, "B".into()))).unwrap_err().code,
        kumppani_platform::ErrorCode::PermissionDenied
    );
}

#[test]
fn list_filters_narrow_callers_to_their_scope() {
    let contact = principal(Role::CustomerContact, Some(CUSTOMER), None, &[]);
    let system = principal(Role::SystemClient, Some(CUSTOMER), None, &["orders:read"]);
    assert_eq!(orders_filter(&site_user(), None, None).unwrap(), (Some(SITE), None));
    assert_eq!(orders_filter(&contact, None, Some(OTHER_CUSTOMER)).unwrap(), (None, Some(CUSTOMER)));
    assert_eq!(orders_filter(&system, None, None).unwrap(), (None, Some(CUSTOMER)));
    assert_eq!(orders_filter(&staff(), None, None).unwrap(), (None, None));
    assert_eq!(orders_filter(&contact, Some(SITE), None).unwrap(), (Some(SITE), None));
    assert!(orders_filter(&principal(Role::CustomerContact, None, None, &[]), None, None).is_err());
    assert_eq!(deliveries_filter(&site_user(), None, None).unwrap(), (Some(SITE), None));
    assert!(deliveries_filter(&contact, None, Some(OTHER_CUSTOMER)).is_err());
    assert_eq!(deliveries_filter(&system, None, Some(OTHER_CUSTOMER)).unwrap(), (None, Some(CUSTOMER)));
    assert_eq!(late_changes_filter(&contact, None).unwrap(), (None, Some(CUSTOMER)));
    assert_eq!(late_changes_filter(&site_user(), None).unwrap(), (Some(SITE), None));
    assert!(late_changes_filter(&principal(Role::SystemClient, None, None, &[]), None).is_err());
    let ungranted = principal(Role::SystemClient, None, None, &["registry:read"]);
    assert!(orders_filter(&ungranted, None, None).is_err() && deliveries_filter(&ungranted, None, None).is_err());
    assert_eq!(late_changes_check_site(&staff(), Some(SITE)), None);
    assert_eq!(late_changes_check_site(&contact, Some(SITE)), Some(SITE));
}

#[test]
fn the_order_week_lists_covered_products_and_cut_offs_per_line() {
    let ctx = ctx();
    assert_eq!(week_of(d(2027, 3, 4)), (d(2027, 3, 1), d(2027, 3, 7)));
    let products: Vec<&str> = orderable_products(&ctx, SITE, CUSTOMER, d(2027, 3, 1)).into_iter().map(|(c, _)| c).collect();
    assert_eq!(products, ["LOUNAS-PK"]);
    let at = Now { now: now(), today: today(), staff: false };
    let cutoffs = day_cutoffs(&ctx, SITE, CUSTOMER, &["cleaning", "meals"], d(2027, 3, 3), at);
    assert_eq!(cutoffs.len(), 1);
    assert_eq!((cutoffs[0].service_line.as_str(), cutoffs[0].open, cutoffs[0].mode), ("meals", true, ChangeMode::Normal));
    assert_eq!(cutoffs[0].cutoff, Utc.with_ymd_and_hms(2027, 3, 1, 10, 0, 0).unwrap());
    assert_eq!(line_mode(&cutoffs, "cleaning"), (None, ChangeMode::Closed), "no agreement covers cleaning");
}

#[test]
fn cut_off_state_belongs_to_each_service_line_of_a_day() {
    // Meals close 2 working days before at 12:00, cleaning 1 working day before.
    let mut ctx = ctx();
    ctx.agreements[1].status = "signed".into();
    ctx.rules.insert((None, "cleaning".into()), CutoffRule { working_days: 1, hour: 12 });
    // Tuesday 2.3.2027 at 13:00 Helsinki: Thursday's meals closed Tuesday 12:00, its cleaning closes Wednesday 12:00.
    let tuesday_afternoon = Utc.with_ymd_and_hms(2027, 3, 2, 11, 0, 0).unwrap();
    let at = Now { now: tuesday_afternoon, today: d(2027, 3, 2), staff: false };
    let thursday = day_cutoffs(&ctx, SITE, CUSTOMER, &["cleaning", "meals"], d(2027, 3, 4), at);
    let mode = |line| line_mode(&thursday, line).1;
    assert_eq!((mode("meals"), mode("cleaning")), (ChangeMode::LateRequest, ChangeMode::Normal));
    assert_eq!(line_mode(&thursday, "meals").0, Some(Utc.with_ymd_and_hms(2027, 3, 2, 10, 0, 0).unwrap()));
    // Staff are not held to the cut-off; a day that has passed is closed to everyone.
    let staff_at = Now { staff: true, ..at };
    let by_staff = day_cutoffs(&ctx, SITE, CUSTOMER, &["meals"], d(2027, 3, 4), staff_at);
    assert_eq!(by_staff[0].mode, ChangeMode::Normal);
    assert_eq!(day_cutoffs(&ctx, SITE, CUSTOMER, &["meals"], d(2027, 3, 1), staff_at)[0].mode, ChangeMode::Closed);
    // Intake agrees with what the week shows.
    let line = |product| OrderLine { site: SITE, day: d(2027, 3, 4), product, diet: "", quantity: 3 };
    assert!(matches!(classify(&line("LOUNAS-PK"), &ctx, &site_user(), tuesday_afternoon, at.today), Intake::LateChange(_)));
    assert!(matches!(classify(&line("LISASIIVOUS"), &ctx, &site_user(), tuesday_afternoon, at.today), Intake::Accepted(_)));
}

#[test]
fn a_pattern_skips_weekends_holidays_and_closures_and_the_newest_wins() {
    let site = Uuid::from_u128(1);
    let base = Pattern {
        site,
        customer: Uuid::from_u128(2),
        product: "LOUNAS-PK".into(),
        diet: String::new(),
        from: d(2027, 3, 22),
        to: d(2027, 4, 4),
        quantities: [40, 40, 40, 40, 35, 0, 0],
        include_holidays: false,
        channel: "portal".into(),
        created_at: Utc::now() - chrono::Duration::hours(1),
    };
    let newer = Pattern { from: d(2027, 3, 31), quantities: [50; 7], created_at: Utc::now(), ..base.clone() };
    let closures = vec![(site, d(2027, 3, 24), d(2027, 3, 24))];
    let days: Vec<(u32, i32)> = {
        let mut v: Vec<(u32, i32)> =
            expand(&[base, newer], &closures, d(2027, 3, 22), d(2027, 4, 4)).into_iter().map(|(k, _, q, _)| (k.1.day(), q)).collect();
        v.sort();
        v
    };
    // 22–23 base; 24 closed; 25 base; 26 Good Friday; 27–28 weekend (0); 29 Easter Monday; 30 base; 31.3.–4.4. the newer pattern, 50 every day.
    assert_eq!(days, vec![(1, 50), (2, 50), (3, 50), (4, 50), (22, 40), (23, 40), (25, 40), (30, 40), (31, 50)]);
}

#[test]
fn materialization_skips_closed_and_uncovered_days() {
    let ctx = ctx();
    let key = |site, day, product: &str| (site, day, product.to_owned(), String::new());
    assert_eq!(materializable(&ctx, &key(SITE, d(2027, 3, 10), "LOUNAS-PK"), CUSTOMER), Ok(()));
    assert_eq!(materializable(&ctx, &key(CLOSED_SITE, d(2027, 3, 15), "LOUNAS-PK"), CUSTOMER), Err(Skip::Closed));
    assert_eq!(materializable(&ctx, &key(Uuid::from_u128(77), d(2027, 3, 10), "LOUNAS-PK"), CUSTOMER), Err(Skip::NotCovered));
    assert_eq!(materializable(&ctx, &key(SITE, d(2027, 3, 10), "LISASIIVOUS"), CUSTOMER), Err(Skip::NotCovered));
    assert_eq!(materializable(&ctx, &key(SITE, d(2027, 3, 10), "NO-SUCH"), CUSTOMER), Err(Skip::NotCovered));
}

#[test]
fn standing_orders_need_scope_a_product_and_coverage() {
    let ctx = ctx();
    assert_eq!(check_standing_order(&ctx, &site_user(), SITE, "LOUNAS-PK", d(2027, 3, 10)).unwrap(), CUSTOMER);
    let field = |r: Result<Uuid, AppError>| r.unwrap_err().violations.first().map(|v| v.field.clone()).unwrap_or_default();
    assert_eq!(field(check_standing_order(&ctx, &site_user(), Uuid::from_u128(77), "LOUNAS-PK", d(2027, 3, 10))), "site_id");
    assert_eq!(field(check_standing_order(&ctx, &site_user(), SITE, "NO-SUCH", d(2027, 3, 10))), "product_code");
    assert_eq!(field(check_standing_order(&ctx, &site_user(), SITE, "LISASIIVOUS", d(2027, 3, 10))), "product_code");
    assert_eq!(
        check_standing_order(&ctx, &site_user(), OTHER_SITE, "LOUNAS-PK", d(2027, 3, 10)).unwrap_err().code,
        kumppani_platform::ErrorCode::PermissionDenied
    );
}

#[test]
fn closures_start_after_every_cut_off_except_for_staff() {
    assert_eq!(earliest_closure_day(true, today(), now()), d(2027, 3, 2));
    // Monday 10:00: Wednesday's 2-working-day cut-off (today 12:00) is still open.
    assert_eq!(earliest_closure_day(false, today(), now()), d(2027, 3, 3));
    let afternoon = Utc.with_ymd_and_hms(2027, 3, 1, 13, 0, 0).unwrap();
    assert_eq!(earliest_closure_day(false, today(), afternoon), d(2027, 3, 4));
}

#[test]
fn deliveries_need_a_reason_only_to_correct_a_confirmed_quantity() {
    assert_eq!(DeliveryChange::of(None, 40), DeliveryChange::Confirmed);
    assert_eq!(DeliveryChange::of(Some(40), 38), DeliveryChange::Corrected);
    assert_eq!(DeliveryChange::of(Some(38), 38), DeliveryChange::Unchanged);
    assert_eq!(DeliveryChange::Unchanged.event_type(), None);
    let key: Key = (SITE, d(2027, 3, 1), "LOUNAS-PK".into(), String::new());
    let existing = HashMap::from([(key.clone(), 40)]);
    assert!(check_correction_reason(&[(key.clone(), 40)], &existing, "").is_ok());
    assert!(check_correction_reason(&[(key.clone(), 38)], &HashMap::new(), "").is_ok());
    let e = check_correction_reason(&[(key.clone(), 38)], &existing, "").unwrap_err();
    assert_eq!(e.violations[0].reason, "is required: 1 line(s) correct an earlier confirmation");
    assert!(check_correction_reason(&[(key, 38)], &existing, "Kaksi poissa").is_ok());
}

#[test]
fn delivered_lines_need_known_sites_in_the_grant_and_catalogue_products() {
    let ctx = ctx();
    let lines = vec![
        ((SITE, d(2027, 3, 1), "LOUNAS-PK".to_owned(), String::new()), 1),
        ((Uuid::from_u128(77), d(2027, 3, 1), "NO-SUCH".to_owned(), String::new()), 1),
        ((OTHER_SITE, d(2027, 3, 1), "LOUNAS-PK".to_owned(), String::new()), 1),
    ];
    let system = principal(Role::SystemClient, Some(CUSTOMER), None, &["deliveries:write"]);
    let fields: Vec<String> = check_delivery_lines(&lines, &ctx, &system).unwrap_err().violations.into_iter().map(|v| v.field).collect();
    assert_eq!(fields, ["lines[1].site_id", "lines[1].product_code", "lines[2].site_id"]);
    assert_eq!(check_delivery_lines(&lines, &ctx, &staff()).unwrap_err().violations.len(), 2);
}

#[test]
fn budgets_are_pro_rated_over_the_year() {
    let p = |as_of| BudgetPeriod::new(2027, as_of).unwrap();
    assert_eq!(p(d(2026, 6, 1)).to_date(365), 0);
    assert_eq!(p(d(2026, 6, 1)).as_of, d(2026, 12, 31));
    assert_eq!(p(d(2027, 1, 1)).to_date(365), 1);
    assert_eq!(p(d(2027, 7, 2)).to_date(365), 183);
    assert_eq!(p(d(2028, 2, 1)).to_date(365), 365);
    assert_eq!(p(d(2028, 2, 1)).as_of, d(2027, 12, 31));
    assert_eq!(BudgetPeriod::new(2028, d(2028, 12, 31)).unwrap().to_date(366), 366, "leap year");
}

#[test]
fn production_totals_count_sites_per_product_and_diet() {
    let a = (Uuid::from_u128(1), Some("A".to_owned()));
    let b = (Uuid::from_u128(2), None);
    let lines = vec![
        (a.0, a.1.clone(), "LOUNAS-PK".to_owned(), String::new(), 40),
        (a.0, a.1, "LOUNAS-PK".to_owned(), "kasvis".to_owned(), 3),
        (b.0, b.1, "LOUNAS-PK".to_owned(), String::new(), 20),
    ];
    let (totals, sites) = production(lines);
    let t: Vec<(&str, i32, i32)> = totals.iter().map(|r| (r.diet.as_str(), r.quantity, r.sites)).collect();
    assert_eq!(t, [("", 60, 2), ("kasvis", 3, 1)]);
    assert_eq!(sites.iter().map(|s| (s.site_name.as_str(), s.rows.len())).collect::<Vec<_>>(), [("A", 2), ("", 1)]);
}

#[test]
fn the_electronic_rate_counts_portal_and_ordering_system() {
    assert_eq!(electronic_percent(0, 0, 0), "0.0");
    assert_eq!(electronic_percent(1, 1, 1), "66.7");
    assert_eq!(electronic_percent(3, 0, 0), "100.0");
}
