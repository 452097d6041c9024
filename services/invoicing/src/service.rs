//! The invoicing service without its transport: who may do what, input
//! validation, runs and invoices over [`crate::store`] and the rules of
//! [`crate::domain`]. [`crate::grpc`] is a thin adapter over this.

use crate::PRODUCER;
use crate::convert;
use crate::domain::{self, Buyer, Draft, Inputs, Party, Period, RowKind, changes};
use crate::store::{self, invoices as inv};
use kumppani_platform::auth::{Principal, Role, grants};
use kumppani_platform::events::emit;
use kumppani_platform::validate::{Violations, id_arg, next_page};
use kumppani_platform::{AppError, Reason};
use kumppani_proto::invoicing::v1 as pb;
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;
use uuid::Uuid;

#[derive(Clone)]
pub struct Invoicing {
    pub pool: PgPool,
    /// Where export batches go (configured once at start-up).
    pub export: std::sync::Arc<crate::export::sink::ExportSink>,
}

fn period(v: &mut Violations, year: i32, month: i32) -> Option<Period> {
    let p = Period::new(year, month);
    if p.is_none() {
        if !(2000..=2100).contains(&year) {
            v.add("year", Reason::out_of_range(2000, 2100));
        }
        if !(1..=12).contains(&month) {
            v.add("month", Reason::out_of_range(1, 12));
        }
    }
    p
}

/// Finnish reference number (the invoice number + its 7-3-1 check digit) and its RF form.
pub fn references(number: &str) -> (String, String) {
    match kumppani_einvoice::CreditorReference::from_base(number) {
        Ok(r) => (r.finnish, r.rf),
        Err(_) => (String::new(), String::new()),
    }
}

/// Who may read a customer's invoices: staff, the customer's own people, a
/// system client with `invoices:read` (within its customer, if it names one).
fn check_read(p: &Principal, customer: Uuid) -> Result<(), AppError> {
    p.require_grant(&[grants::INVOICES_READ])?;
    if p.within_customer(customer) { Ok(()) } else { Err(AppError::not_found("invoice")) }
}

impl Invoicing {
    // ---------- calendar ----------

    #[tracing::instrument(skip_all)]
    pub async fn billing_calendar(&self, p: &Principal, year: i32) -> Result<Vec<pb::BillingMonth>, AppError> {
        p.require_grant(&[grants::INVOICES_READ])?;
        let mut v = Violations::default();
        let year = if year == 0 { chrono::Datelike::year(&kumppani_platform::convert::today_helsinki()) } else { year };
        period(&mut v, year, 1);
        v.finish()?;
        let mut conn = self.pool.acquire().await?;
        let set: Vec<(i32, chrono::NaiveDate, Option<String>)> =
            sqlx::query_as("SELECT month, invoice_date, set_by FROM billing_calendar WHERE year = $1")
                .bind(year)
                .fetch_all(&mut *conn)
                .await?;
        let subjects: Vec<&str> = set.iter().filter_map(|(_, _, by)| by.as_deref()).collect();
        let names = kumppani_platform::actors::actor_names(&mut conn, &subjects).await?;
        Ok((1..=12)
            .filter_map(|m| Period::new(year, m))
            .map(|per| {
                let stored = set.iter().find(|(m, _, _)| *m == per.month as i32);
                let by = stored.and_then(|(_, _, b)| b.clone()).unwrap_or_default();
                pb::BillingMonth {
                    year,
                    month: per.month as i32,
                    invoice_date: Some(stored.map_or_else(|| domain::default_invoice_date(per), |(_, d, _)| *d).into()),
                    set_by_staff: stored.is_some_and(|(_, _, b)| b.is_some()),
                    updated_by_name: names.get(&by).cloned().unwrap_or_default(),
                    updated_by: by,
                }
            })
            .collect())
    }

    #[tracing::instrument(skip_all)]
    pub async fn set_invoice_date(&self, p: &Principal, r: pb::SetInvoiceDateRequest) -> Result<pb::BillingMonth, AppError> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let per = period(&mut v, r.year, r.month);
        let day = v.date("invoice_date", r.invoice_date.as_ref(), true);
        if let (Some(per), Some(day)) = (per, day) {
            if day <= per.last() {
                v.add("invoice_date", Reason::new("not_after_month", "must be after the month ends"));
            } else if !kumppani_platform::calendar::is_working_day(day) {
                v.add(
                    "invoice_date",
                    Reason::new("not_a_working_day", "must be a working day (not a weekend or a Finnish public holiday)"),
                );
            } else if day > per.next().next().first() {
                v.add("invoice_date", Reason::new("too_late", "must be within the month after the billed month"));
            }
        }
        v.finish()?;
        let (Some(per), Some(day)) = (per, day) else { return Err(AppError::invalid("invoice_date", Reason::required())) };
        let mut tx = self.pool.begin().await?;
        kumppani_platform::actors::remember_actor(&mut tx, p).await?;
        sqlx::query(
            "INSERT INTO billing_calendar (year, month, invoice_date, set_by, set_at) VALUES ($1, $2, $3, $4, now())
             ON CONFLICT (year, month) DO UPDATE SET invoice_date = $3, set_by = $4, set_at = now()",
        )
        .bind(per.year)
        .bind(per.month as i32)
        .bind(day)
        .bind(&p.subject)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(pb::BillingMonth {
            year: per.year,
            month: per.month as i32,
            invoice_date: Some(day.into()),
            set_by_staff: true,
            updated_by: p.subject.clone(),
            updated_by_name: p.name.clone(),
        })
    }

    // ---------- manual lines ----------

    #[tracing::instrument(skip_all)]
    pub async fn add_manual_line(&self, p: &Principal, r: pb::AddManualLineRequest) -> Result<pb::ManualLine, AppError> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let kind = match pb::ManualLineKind::try_from(r.kind) {
            Ok(pb::ManualLineKind::PassThrough) => Some(RowKind::PassThrough),
            Ok(pb::ManualLineKind::Credit) => Some(RowKind::Credit),
            Ok(pb::ManualLineKind::Adjustment) => Some(RowKind::Adjustment),
            _ => {
                v.add("kind", Reason::new("required", "choose pass_through, credit or adjustment"));
                None
            }
        };
        let customer = v.uuid("customer_id", &r.customer_id, true);
        let site = v.uuid("site_id", &r.site_id, false);
        let per = period(&mut v, r.year, r.month);
        let description = v.text("description", &r.description, 200, true);
        let supplier = v.text("supplier", &r.supplier, 200, kind == Some(RowKind::PassThrough));
        let supplier_invoice_number = v.text("supplier_invoice_number", &r.supplier_invoice_number, 70, kind == Some(RowKind::PassThrough));
        let reason = v.text("reason", &r.reason, 500, matches!(kind, Some(RowKind::Credit | RowKind::Adjustment)));
        let key = v.text("idempotency_key", &r.idempotency_key, 200, false);
        let amount = match Decimal::from_str(r.amount.trim()) {
            Ok(a) if a.normalize().scale() > 2 => {
                v.add("amount", Reason::new("too_many_decimals", "must have at most 2 decimals").with("max", 2));
                None
            }
            Ok(a) if a.abs() > Decimal::from(10_000_000) => {
                v.add("amount", Reason::out_of_range(-10_000_000, 10_000_000));
                None
            }
            Ok(a) if a.is_zero() => {
                v.add("amount", Reason::new("zero", "must not be zero"));
                None
            }
            Ok(a) if kind == Some(RowKind::Credit) && a.is_sign_positive() => {
                v.add("amount", Reason::new("credit_not_negative", "a credit is a negative amount, e.g. \"-120.00\""));
                None
            }
            Ok(a) if kind == Some(RowKind::PassThrough) && a.is_sign_negative() => {
                v.add("amount", Reason::negative());
                None
            }
            Ok(a) => Some(a),
            Err(_) if r.amount.trim().is_empty() => {
                v.add("amount", Reason::required());
                None
            }
            Err(_) => {
                v.add("amount", Reason::new("not_a_number", "must be a decimal number of euros, e.g. \"412.50\""));
                None
            }
        };
        let vat_rate = match r.vat_rate.trim() {
            "" => None,
            s => match Decimal::from_str(s) {
                Ok(d) => Some(d),
                Err(_) => {
                    v.add("vat_rate", Reason::new("not_a_number", "must be a VAT percentage, e.g. \"25.5\""));
                    None
                }
            },
        };
        v.finish()?;
        let (Some(kind), Some(customer), Some(per), Some(amount)) = (kind, customer, per, amount) else {
            return Err(AppError::invalid("kind", Reason::required()));
        };
        let mut tx = self.pool.begin().await?;
        if !key.is_empty() {
            let existing: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM manual_lines WHERE created_by = $1 AND idempotency_key = $2")
                .bind(&p.subject)
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some((id,)) = existing {
                drop(tx);
                return self.manual_line(id).await;
            }
        }
        let kind_of: Option<(String,)> =
            sqlx::query_as("SELECT kind FROM customers WHERE id = $1").bind(customer).fetch_optional(&mut *tx).await?;
        let mut v = Violations::default();
        let Some((customer_kind,)) = kind_of else {
            return Err(AppError::invalid("customer_id", Reason::unknown_reference("no such customer")));
        };
        if let Some(site) = site {
            let owner: Option<(Uuid,)> =
                sqlx::query_as("SELECT customer_id FROM sites WHERE id = $1").bind(site).fetch_optional(&mut *tx).await?;
            if owner.map(|(c,)| c) != Some(customer) {
                v.add("site_id", Reason::not_a_site_of_customer());
            }
        }
        // VAT: city units are outside its scope; others pay a rate of the VAT table valid in the month.
        let (vat_rate, vat_category) = if customer_kind.starts_with("internal") {
            if vat_rate.is_some_and(|r| !r.is_zero()) {
                v.add("vat_rate", Reason::new("outside_vat", "must be 0 or empty: the city's own units are outside the scope of VAT"));
            }
            (Decimal::ZERO, "outside_scope".to_owned())
        } else {
            let rates: Vec<(String, Decimal)> = sqlx::query_as(
                "SELECT category, rate FROM vat_rates WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to >= $1) ORDER BY category",
            )
            .bind(per.last())
            .fetch_all(&mut *tx)
            .await?;
            match vat_rate {
                None => {
                    v.add("vat_rate", Reason::required());
                    (Decimal::ZERO, String::new())
                }
                Some(rate) => match rates.iter().find(|(_, r)| *r == rate) {
                    Some((category, r)) => (*r, category.clone()),
                    None => {
                        let valid: Vec<String> = rates.iter().map(|(_, r)| r.normalize().to_string()).collect();
                        v.add(
                            "vat_rate",
                            Reason::new("unknown_vat_rate", format!("must be a VAT rate valid in {per}: {}", valid.join(", ")))
                                .with("valid", valid.join(", ")),
                        );
                        (Decimal::ZERO, String::new())
                    }
                },
            }
        };
        v.finish()?;
        kumppani_platform::actors::remember_actor(&mut tx, p).await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO manual_lines (id, kind, customer_id, site_id, year, month, description, amount, vat_rate, vat_category, supplier,
                                       supplier_invoice_number, reason, idempotency_key, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(id)
        .bind(kind.as_str())
        .bind(customer)
        .bind(site)
        .bind(per.year)
        .bind(per.month as i32)
        .bind(&description)
        .bind(amount)
        .bind(vat_rate)
        .bind(&vat_category)
        .bind(&supplier)
        .bind(&supplier_invoice_number)
        .bind(&reason)
        .bind(if key.is_empty() { None } else { Some(key.as_str()) })
        .bind(&p.subject)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.manual_line(id).await
    }

    async fn manual_line(&self, id: Uuid) -> Result<pb::ManualLine, AppError> {
        let mut conn = self.pool.acquire().await?;
        convert::manual_lines(&mut conn, Some(id), None, None, None).await?.pop().ok_or_else(|| AppError::not_found("manual line"))
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_manual_lines(&self, p: &Principal, r: pb::ListManualLinesRequest) -> Result<Vec<pb::ManualLine>, AppError> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let customer = v.uuid("customer_id", &r.customer_id, false);
        // Year and month filter independently (0: any).
        let year = if r.year == 0 { None } else { v.year("year", r.year, false) };
        let month = match r.month {
            0 => None,
            m if (1..=12).contains(&m) => Some(m),
            _ => {
                v.add("month", Reason::out_of_range(1, 12));
                None
            }
        };
        v.finish()?;
        let mut conn = self.pool.acquire().await?;
        Ok(convert::manual_lines(&mut conn, None, customer, year, month).await?)
    }

    // ---------- runs ----------

    /// Computes the month's drafts for every customer (or billing unit) not yet
    /// invoiced for it, replacing an earlier draft of the month.
    #[tracing::instrument(skip_all, fields(year = r.year, month = r.month))]
    pub async fn start_run(&self, p: &Principal, r: pb::StartRunRequest) -> Result<pb::Run, AppError> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let per = period(&mut v, r.year, r.month);
        if let Some(per) = per {
            if per.first() > kumppani_platform::convert::today_helsinki() {
                v.add("month", Reason::new("in_future", "a month can be invoiced once it has begun"));
            }
        }
        v.finish()?;
        let Some(per) = per else { return Err(AppError::invalid("month", Reason::required())) };
        let mut progress = crate::progress::Progress::start(&self.pool, per.year, r.month, &p.subject).await;
        let started = std::time::Instant::now();
        let mut tx = self.pool.begin().await?;
        kumppani_platform::actors::remember_actor(&mut tx, p).await?;
        let run = inv::start_run(&mut tx, per, &p.subject).await?;
        let registry = store::registry(&mut tx, None).await?;
        let (drafts, problems) = compute(&mut tx, &registry, per, None, None).await?;
        let previous = store::issued_rows(&mut tx, per.prev()).await?;
        let computed = started.elapsed();
        progress.writing(drafts.len()).await;
        for (k, (party, draft)) in drafts.iter().enumerate() {
            progress.advance(k).await;
            let buyer = buyer_of(&registry, party);
            let now: Vec<changes::RowSummary> = draft.rows.iter().map(changes::RowSummary::from).collect();
            let c = changes::compare(previous.get(party).map(Vec::as_slice), &now);
            inv::insert_draft(&mut tx, run, per, *party, &buyer, draft, &serde_json::to_value(&c).unwrap_or_default()).await?;
        }
        inv::set_problems(&mut tx, run, &problems).await?;
        let out = convert::run(&mut tx, run).await?;
        emit(&mut tx, PRODUCER, "invoicing.run.completed", &pb::RunEvent { run: Some(out.clone()) }).await?;
        tx.commit().await?;
        progress.done(run).await;
        tracing::info!(
            invoices = drafts.len(),
            problems = problems.len(),
            read_and_computed_ms = computed.as_millis(),
            written_ms = (started.elapsed() - computed).as_millis(),
            "draft run computed"
        );
        Ok(out)
    }

    /// Issues a draft run: numbers, reference numbers, dates; invoices become
    /// immutable. Issuing an issued run returns it unchanged.
    pub async fn issue_run(&self, p: &Principal, id: &str) -> Result<pb::Run, AppError> {
        self.issue_run_on(p, id, None).await
    }

    /// [`Self::issue_run`] dated `on` (the demo's past months); `None`: the
    /// billing calendar's date of the month, or today when that has passed.
    #[tracing::instrument(skip_all)]
    pub async fn issue_run_on(&self, p: &Principal, id: &str, on: Option<chrono::NaiveDate>) -> Result<pb::Run, AppError> {
        p.require_enterprise()?;
        let id = id_arg("id", id)?;
        let mut tx = self.pool.begin().await?;
        kumppani_platform::actors::remember_actor(&mut tx, p).await?;
        let run = inv::run(&mut tx, id).await?.ok_or_else(|| AppError::not_found("run"))?;
        let per = Period::new(run.year, run.month).ok_or_else(|| AppError::internal("run without a valid month"))?;
        let issue_date = match on {
            Some(d) => d,
            // The group's calendar dates the invoices; a run issued after that date is dated the day it is issued.
            None => store::invoice_date(&mut tx, per).await?.max(kumppani_platform::convert::today_helsinki()),
        };
        let numbering = inv::Numbering { issue_date, reference: references };
        let started = std::time::Instant::now();
        let issued = inv::issue_run(&mut tx, id, &p.subject, &numbering).await?.ok_or_else(|| AppError::not_found("run"))?;
        let numbered = started.elapsed();
        for invoice in &issued {
            let out = convert::invoice(&mut tx, *invoice, None, false).await?;
            emit(&mut tx, PRODUCER, "invoicing.invoice.issued", &pb::InvoiceEvent { invoice: Some(out) }).await?;
        }
        let out = convert::run(&mut tx, id).await?;
        tx.commit().await?;
        tracing::info!(
            invoices = issued.len(),
            numbered_ms = numbered.as_millis(),
            announced_ms = (started.elapsed() - numbered).as_millis(),
            "run issued"
        );
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    pub async fn get_run(&self, p: &Principal, id: &str) -> Result<pb::Run, AppError> {
        p.require_enterprise()?;
        let id = id_arg("id", id)?;
        let mut conn = self.pool.acquire().await?;
        convert::run(&mut conn, id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_runs(&self, p: &Principal, year: i32) -> Result<Vec<pb::Run>, AppError> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let year = if year == 0 { None } else { v.year("year", year, false) };
        v.finish()?;
        let mut conn = self.pool.acquire().await?;
        let runs = inv::runs(&mut conn, year).await?;
        let mut out = Vec::with_capacity(runs.len());
        for r in runs {
            out.push(convert::run_header(&mut conn, &r).await?);
        }
        Ok(out)
    }

    // ---------- invoices ----------

    #[tracing::instrument(skip_all)]
    pub async fn list_invoices(&self, p: &Principal, r: pb::ListInvoicesRequest) -> Result<pb::ListInvoicesResponse, AppError> {
        p.require_grant(&[grants::INVOICES_READ])?;
        let mut v = Violations::default();
        let mut customer = v.uuid("customer_id", &r.customer_id, false);
        let year = if r.year == 0 { None } else { v.year("year", r.year, false) };
        let month = match r.month {
            0 => None,
            m if (1..=12).contains(&m) => Some(m),
            _ => {
                v.add("month", Reason::out_of_range(1, 12));
                None
            }
        };
        let status = match pb::InvoiceStatus::try_from(r.status) {
            Ok(pb::InvoiceStatus::Draft) => Some("draft"),
            Ok(pb::InvoiceStatus::Issued) => Some("issued"),
            Ok(pb::InvoiceStatus::Credited) => Some("credited"),
            _ => None,
        };
        let limit = v.page_size("page_size", r.page_size);
        let after = v.page_token::<(i32, i32, Uuid)>("page_token", &r.page_token);
        v.finish()?;
        if let Some(own) = p.customer_scope() {
            if customer.is_some_and(|c| c != own) {
                return Ok(pb::ListInvoicesResponse::default());
            }
            customer = Some(own);
        }
        // Drafts are the enterprise's work in progress.
        if !p.is_enterprise() && status == Some("draft") {
            return Ok(pb::ListInvoicesResponse::default());
        }
        let mut conn = self.pool.acquire().await?;
        let filter = inv::InvoiceFilter { customer, year, month, status: status.map(str::to_owned), run: None, after, limit: limit + 1 };
        let mut rows = inv::invoices(&mut conn, &filter).await?;
        if !p.is_enterprise() {
            rows.retain(|r| r.status != "draft");
        }
        let next_page_token = next_page(&mut rows, limit, |r| (r.year, r.month, r.id));
        let invoices = rows.iter().map(|r| convert::header(r, &[])).collect();
        Ok(pb::ListInvoicesResponse { invoices, next_page_token })
    }

    #[tracing::instrument(skip_all)]
    pub async fn get_invoice(&self, p: &Principal, r: pb::GetInvoiceRequest) -> Result<pb::Invoice, AppError> {
        let id = id_arg("id", &r.id)?;
        let mut v = Violations::default();
        let site = v.uuid("site_id", &r.site_id, false);
        v.finish()?;
        let mut conn = self.pool.acquire().await?;
        let row = inv::invoice(&mut conn, id).await?.ok_or_else(|| AppError::not_found("invoice"))?;
        check_read(p, row.customer_id)?;
        if row.status == "draft" && !p.is_enterprise() {
            return Err(AppError::not_found("invoice"));
        }
        // A site user sees only their site's part of the specification.
        let site = if p.role == Role::SiteUser { p.site_id.or(Some(Uuid::nil())) } else { site };
        convert::invoice(&mut conn, id, site, r.days).await
    }

    pub async fn credit_invoice(&self, p: &Principal, r: pb::CreditInvoiceRequest) -> Result<pb::Invoice, AppError> {
        self.credit_invoice_on(p, r, None).await
    }

    /// [`Self::credit_invoice`] dated `on` (default today).
    #[tracing::instrument(skip_all)]
    pub async fn credit_invoice_on(
        &self,
        p: &Principal,
        r: pb::CreditInvoiceRequest,
        on: Option<chrono::NaiveDate>,
    ) -> Result<pb::Invoice, AppError> {
        p.require_enterprise()?;
        let id = id_arg("id", &r.id)?;
        let mut v = Violations::default();
        let reason = v.text("reason", &r.reason, 500, true);
        v.finish()?;
        let mut tx = self.pool.begin().await?;
        kumppani_platform::actors::remember_actor(&mut tx, p).await?;
        let issue_date = on.unwrap_or_else(kumppani_platform::convert::today_helsinki);
        let numbering = inv::Numbering { issue_date, reference: references };
        let credit = match inv::credit(&mut tx, id, &reason, &p.subject, &numbering).await? {
            inv::Credit::NotFound => return Err(AppError::not_found("invoice")),
            inv::Credit::NotIssued => return Err(AppError::precondition("only an issued invoice can be credited")),
            inv::Credit::Existing(c) => {
                drop(tx);
                let mut conn = self.pool.acquire().await?;
                return convert::invoice(&mut conn, c, None, false).await;
            }
            inv::Credit::Created(c) => c,
        };
        let out = convert::invoice(&mut tx, credit, None, false).await?;
        emit(&mut tx, PRODUCER, "invoicing.invoice.credited", &pb::InvoiceEvent { invoice: Some(out.clone()) }).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The current month so far for one customer (or unit): what its invoice
    /// would be today. Nothing is written.
    #[tracing::instrument(skip_all)]
    pub async fn month_to_date(&self, p: &Principal, r: pb::GetMonthToDateRequest) -> Result<pb::Invoice, AppError> {
        let mut v = Violations::default();
        let customer = v.uuid("customer_id", &r.customer_id, true);
        let unit = v.uuid("unit_id", &r.unit_id, false);
        let site = v.uuid("site_id", &r.site_id, false);
        v.finish()?;
        let Some(customer) = customer else { return Err(AppError::invalid("customer_id", Reason::required())) };
        check_read(p, customer)?;
        let site = if p.role == Role::SiteUser { p.site_id.or(Some(Uuid::nil())) } else { site };
        let today = kumppani_platform::convert::today_helsinki();
        let per = Period::of(today);
        let mut conn = self.pool.acquire().await?;
        let registry = store::registry(&mut conn, Some(customer)).await?;
        let c = registry.customers.get(&customer).ok_or_else(|| AppError::not_found("customer"))?;
        let party = Party { customer, unit: if c.billing.per_unit { unit } else { None } };
        let only: HashSet<Party> = if c.billing.per_unit && unit.is_none() {
            registry.sites.values().map(|s| Party { customer, unit: s.unit }).collect()
        } else {
            [party].into()
        };
        let (drafts, _) = compute(&mut conn, &registry, per, Some(today), Some(&only)).await?;
        let mut draft = Draft::default();
        for d in drafts.into_values() {
            draft.rows.extend(d.rows);
        }
        domain::finish(&mut draft);
        Ok(convert::month_to_date(per, &buyer_of(&registry, &party), customer, &draft, site))
    }
}

impl Invoicing {
    pub async fn ask(&self, p: &Principal, r: pb::AskAboutInvoiceRequest) -> Result<pb::InvoiceQuestion, AppError> {
        let mut tx = self.pool.begin().await?;
        let out = crate::questions::ask(&mut tx, p, r).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn answer(&self, p: &Principal, r: pb::AnswerInvoiceQuestionRequest) -> Result<pb::InvoiceQuestion, AppError> {
        let mut tx = self.pool.begin().await?;
        let out = crate::questions::answer(&mut tx, p, r).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn questions(&self, p: &Principal, r: pb::ListInvoiceQuestionsRequest) -> Result<pb::ListInvoiceQuestionsResponse, AppError> {
        let mut conn = self.pool.acquire().await?;
        crate::questions::list(&mut conn, p, r).await
    }

    /// Writes the issued run's batch to the sink (again: the same files).
    #[tracing::instrument(skip_all)]
    pub async fn export_run(&self, p: &Principal, run_id: &str) -> Result<pb::ExportBatch, AppError> {
        let mut tx = self.pool.begin().await?;
        // One export of a run at a time.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('invoicing.export'), hashtext($1))").bind(run_id).execute(&mut *tx).await?;
        let batch = crate::export::export_run(&mut tx, p, run_id, &self.export).await?;
        tx.commit().await?;
        self.export_batch(p, &batch.to_string()).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn export_credit_note(&self, p: &Principal, invoice_id: &str) -> Result<pb::ExportBatch, AppError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('invoicing.export'), hashtext($1))").bind(invoice_id).execute(&mut *tx).await?;
        let batch = crate::export::export_credit_note(&mut tx, p, invoice_id, &self.export).await?;
        tx.commit().await?;
        self.export_batch(p, &batch.to_string()).await
    }

    pub async fn export_batches(&self, p: &Principal, year: i32) -> Result<Vec<pb::ExportBatch>, AppError> {
        let mut conn = self.pool.acquire().await?;
        crate::export::list(&mut conn, p, year).await
    }

    pub async fn export_batch(&self, p: &Principal, id: &str) -> Result<pb::ExportBatch, AppError> {
        let mut conn = self.pool.acquire().await?;
        crate::export::get(&mut conn, p, id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn acknowledge_export(&self, p: &Principal, r: pb::AcknowledgeExportRequest) -> Result<pb::ExportBatch, AppError> {
        let mut tx = self.pool.begin().await?;
        let out = crate::export::acknowledge(&mut tx, p, r).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// An invoice as a file: Finvoice, Peppol BIS, PDF or the specification CSV.
    #[tracing::instrument(skip_all)]
    pub async fn document(&self, p: &Principal, id: &str, format: crate::documents::Format) -> Result<pb::InvoiceDocument, AppError> {
        let id = id_arg("id", id)?;
        let mut conn = self.pool.acquire().await?;
        let invoice = inv::invoice(&mut conn, id).await?.ok_or_else(|| AppError::not_found("invoice"))?;
        check_read(p, invoice.customer_id)?;
        if invoice.status == "draft" && !p.is_enterprise() {
            return Err(AppError::not_found("invoice"));
        }
        // The whole invoice is one document: a site user reads their part on the page, not the file.
        if p.role == Role::SiteUser {
            return Err(AppError::denied("the invoice's files are for the customer's contacts; your site's part is on the invoice page"));
        }
        let rows = inv::rows(&mut conn, id, None).await?;
        let items = inv::items(&mut conn, id).await?;
        let original = match invoice.credited_invoice_id {
            Some(o) => inv::invoice(&mut conn, o).await?.and_then(|o| Some((o.number?, o.issue_date?))),
            None => None,
        };
        crate::documents::render(&crate::documents::Context { invoice: &invoice, rows: &rows, items: &items, original }, format)
    }
}

fn buyer_of(registry: &store::Registry, party: &Party) -> Buyer {
    let c = registry.customers.get(&party.customer);
    Buyer {
        customer_name: c.map(|c| c.name.clone()).unwrap_or_default(),
        unit_name: party.unit.and_then(|u| registry.units.get(&u)).map(|u| u.name.clone()).unwrap_or_default(),
        business_id: c.map(|c| c.business_id.clone()).unwrap_or_default(),
        kind: c.map(|c| c.kind.clone()).unwrap_or_default(),
        billing: registry.billing(party),
    }
}

/// Loads what a month's drafts need (for one customer when `only` is given) and computes them.
async fn compute(
    conn: &mut sqlx::PgConnection,
    registry: &store::Registry,
    per: Period,
    until: Option<chrono::NaiveDate>,
    only: Option<&HashSet<Party>>,
) -> Result<(BTreeMap<Party, Draft>, Vec<String>), AppError> {
    let only_customer = only.and_then(|o| o.iter().next().map(|p| p.customer));
    let book = store::price_book(&mut *conn, per.year, registry).await?;
    let cleaning = store::cleaning_sites(&mut *conn, per.year).await?;
    let (deliveries, billed) = store::deliveries(&mut *conn, per, only_customer).await?;
    let fixed = store::fixed_billed(&mut *conn, per).await?;
    let manual = store::open_manual_lines(&mut *conn, per, only_customer).await?;
    let invoiced = store::invoiced_parties(&mut *conn, per).await?;
    let inputs = Inputs {
        period: per,
        until,
        customers: &registry.customers,
        sites: &registry.sites,
        cleaning_sites: &cleaning,
        book: &book,
        deliveries: &deliveries,
        billed: &billed,
        fixed_billed: &fixed,
        manual: &manual,
        invoiced: &invoiced,
        only,
    };
    Ok(domain::compute(&inputs))
}
