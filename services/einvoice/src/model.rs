//! The invoice document: header, parties, rows, VAT breakdown, totals and the
//! specification (*laskutusliite*) attached to every invoice.
//!
//! Plain serde structs. An [`Invoice`] is made by [`Invoice::compute`], which checks the
//! fields and applies the money rules (see [`crate::money`] and [`Totals::of`]).
//!
//! Signs: a unit price is never negative (EN 16931 BR-27); a credit or correction row
//! carries a negative quantity. A credit note's rows add up to a negative total in the
//! model; each rendering writes it by its own rules (Finvoice negative, Peppol
//! `CreditNote` positive).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::reference::CreditorReference;

/// The language of the printed invoice and of texts in the e-invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Fi,
    Sv,
    En,
}

impl Language {
    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::Fi => "fi",
            Language::Sv => "sv",
            Language::En => "en",
        }
    }
}

/// Invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    /// A credit note credits (part of) an earlier invoice.
    CreditNote {
        original_number: String,
        original_issue_date: NaiveDate,
    },
}

impl DocumentKind {
    pub fn is_credit_note(&self) -> bool {
        matches!(self, DocumentKind::CreditNote { .. })
    }
}

/// The invoice currency; only euro is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Currency {
    #[default]
    #[serde(rename = "EUR")]
    Eur,
}

impl Currency {
    /// ISO 4217 code.
    pub fn code(self) -> &'static str {
        "EUR"
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166-1 alpha-2, e.g. `FI`.
    pub country: String,
}

/// A contact person or desk.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Contact {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// The seller: the enterprise that bills.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Seller {
    pub name: String,
    /// Y-tunnus, `1234567-1`.
    pub business_id: String,
    /// Finnish VAT id `FI12345671`; left out of the e-invoices of an invoice whose rows
    /// are outside the scope of VAT (EN 16931 BR-O-02).
    pub vat_id: Option<String>,
    pub address: Address,
    /// OVT e-invoice address `0037…`.
    pub ovt: Option<String>,
    /// The seller's e-invoice operator (intermediator) id, e.g. `003721291126`.
    pub operator_id: Option<String>,
    pub iban: String,
    pub bic: String,
    pub contact: Contact,
}

/// The buyer: a city unit or an external customer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Buyer {
    pub name: String,
    /// Y-tunnus, when the buyer has one.
    pub business_id: Option<String>,
    /// VAT id, when the buyer has one (left out when outside the scope of VAT).
    pub vat_id: Option<String>,
    /// OVT e-invoice address `0037…`.
    pub ovt: Option<String>,
    /// The buyer's e-invoice operator (intermediator) id.
    pub operator_id: Option<String>,
    /// Peppol participant id such as `0216:003712345671`.
    pub peppol_id: Option<String>,
    pub address: Address,
    /// The buyer's reference (EN 16931 BT-10), e.g. an order or person code.
    pub buyer_reference: Option<String>,
    /// The buyer's cost centre / accounting reference (BT-19).
    pub cost_centre: Option<String>,
    pub contact: Contact,
}

/// UN/ECE Recommendation 20 unit of measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Unit {
    /// `C62`, one: meals, pieces.
    #[default]
    #[serde(rename = "C62")]
    Piece,
    /// `HUR`, hour.
    #[serde(rename = "HUR")]
    Hour,
    /// `MTK`, square metre.
    #[serde(rename = "MTK")]
    SquareMetre,
    /// `DAY`, day.
    #[serde(rename = "DAY")]
    Day,
}

impl Unit {
    /// The UN/ECE Rec 20 code.
    pub fn code(self) -> &'static str {
        match self {
            Unit::Piece => "C62",
            Unit::Hour => "HUR",
            Unit::SquareMetre => "MTK",
            Unit::Day => "DAY",
        }
    }

    /// A short printed label in a language (Finvoice `QuantityUnitCode`, PDF, CSV).
    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (Unit::Piece, Language::Fi) => "kpl",
            (Unit::Piece, Language::Sv) => "st",
            (Unit::Piece, Language::En) => "pcs",
            (Unit::Hour, _) => "h",
            (Unit::SquareMetre, _) => "m2",
            (Unit::Day, Language::Fi) => "pv",
            (Unit::Day, Language::Sv) => "dag",
            (Unit::Day, Language::En) => "day",
        }
    }
}

/// The VAT category of a row (EN 16931 UNCL 5305 subset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "category", rename_all = "snake_case")]
pub enum VatCategory {
    /// `S`: standard or reduced rate, percent (25.5, 14, 13.5, 10).
    Standard { rate: Decimal },
    /// `O`: not subject to VAT, for internal customers of the city group.
    OutsideScope,
}

impl VatCategory {
    /// The UNCL 5305 code, `S` or `O`.
    pub fn code(self) -> &'static str {
        match self {
            VatCategory::Standard { .. } => "S",
            VatCategory::OutsideScope => "O",
        }
    }

    /// The rate in percent, normalised (`25.50` → `25.5`); `None` outside scope.
    pub fn rate(self) -> Option<Decimal> {
        match self {
            VatCategory::Standard { rate } => Some(rate.normalize()),
            VatCategory::OutsideScope => None,
        }
    }

    /// The same category with its rate normalised, for grouping.
    pub fn normalized(self) -> Self {
        match self {
            VatCategory::Standard { rate } => VatCategory::Standard { rate: rate.normalize() },
            o => o,
        }
    }
}

/// What a row bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// A summary of a product's deliveries to a site in the period.
    #[default]
    Service,
    /// A cost passed through from a supplier (carries the supplier's reference).
    PassThrough,
    /// A credit or adjustment (carries a reason).
    Adjustment,
    /// A correction of an earlier invoice's service day (carries the original invoice and the day).
    Correction,
}

/// The earlier invoice and service day a correction row corrects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionOf {
    pub original_invoice: String,
    pub service_day: NaiveDate,
}

/// An invoice row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub kind: RowKind,
    pub description: String,
    pub site_name: Option<String>,
    pub product_code: Option<String>,
    pub product_name: Option<String>,
    /// Negative for credits and corrections that reduce the bill.
    pub quantity: Decimal,
    pub unit: Unit,
    /// Never negative.
    pub unit_price: Decimal,
    /// quantity × unit price rounded to cents; set by [`InvoiceRow::new`] and
    /// recomputed by [`Invoice::compute`] (a given value is ignored).
    #[serde(default)]
    pub net_amount: Decimal,
    pub vat: VatCategory,
    /// The supplier's invoice or delivery reference of a pass-through row.
    pub supplier_reference: Option<String>,
    /// Why a credit, adjustment or correction is made.
    pub reason: Option<String>,
    pub correction_of: Option<CorrectionOf>,
}

impl InvoiceRow {
    /// A row with its net amount computed (zero if the product overflows; then
    /// [`Invoice::compute`] reports the row).
    pub fn new(
        kind: RowKind,
        description: impl Into<String>,
        quantity: Decimal,
        unit: Unit,
        unit_price: Decimal,
        vat: VatCategory,
    ) -> Self {
        Self {
            kind,
            description: description.into(),
            site_name: None,
            product_code: None,
            product_name: None,
            quantity,
            unit,
            unit_price,
            net_amount: crate::money::row_amount(quantity, unit_price).unwrap_or_default(),
            vat,
            supplier_reference: None,
            reason: None,
            correction_of: None,
        }
    }

    pub fn with_site(mut self, site: impl Into<String>) -> Self {
        self.site_name = Some(site.into());
        self
    }

    pub fn with_product(mut self, code: impl Into<String>, name: impl Into<String>) -> Self {
        self.product_code = Some(code.into());
        self.product_name = Some(name.into());
        self
    }

    pub fn with_supplier_reference(mut self, reference: impl Into<String>) -> Self {
        self.supplier_reference = Some(reference.into());
        self
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn with_correction_of(mut self, original_invoice: impl Into<String>, service_day: NaiveDate) -> Self {
        self.correction_of = Some(CorrectionOf { original_invoice: original_invoice.into(), service_day });
        self
    }
}

/// The billing period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// One VAT category's subtotal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatBreakdown {
    pub vat: VatCategory,
    /// Σ row amounts of this category.
    pub taxable_amount: Decimal,
    /// taxable amount × rate, rounded to cents (zero outside scope).
    pub vat_amount: Decimal,
}

/// Totals of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    /// Σ row amounts (VAT excluded).
    pub line_total: Decimal,
    /// Σ VAT amounts of the breakdown.
    pub vat_total: Decimal,
    /// line total + VAT total, the amount to pay (negative on a credit note).
    pub total: Decimal,
    /// Per VAT category: standard rates highest first, then outside scope.
    pub vat_breakdown: Vec<VatBreakdown>,
}

/// The fields of an invoice other than its rows, totals and specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceHeader {
    pub kind: DocumentKind,
    /// Invoice number, at most 20 characters (Finvoice).
    pub number: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub payment_terms_days: u32,
    #[serde(default)]
    pub currency: Currency,
    /// The Finnish reference number (with its check digit).
    pub reference: String,
    pub seller: Seller,
    pub buyer: Buyer,
    #[serde(default)]
    pub language: Language,
    pub period: Period,
    /// Free text printed on the invoice and sent as its note.
    pub note: Option<String>,
}

/// A cost component of a unit price (per unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostComponent {
    pub name: String,
    pub amount_per_unit: Decimal,
}

/// One service day of a product at a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecDay {
    pub service_day: NaiveDate,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    /// quantity × unit price rounded to cents; recomputed by [`Invoice::compute`].
    #[serde(default)]
    pub amount: Decimal,
    pub delivery_id: Option<String>,
    /// Set when the day corrects an earlier delivery or invoice.
    pub correction_reason: Option<String>,
}

/// A product delivered to a site in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecProduct {
    pub code: String,
    pub name: String,
    pub unit: Unit,
    /// The unit price of the period (days may differ after a mid-month change).
    pub unit_price: Decimal,
    pub vat: VatCategory,
    /// How the unit price is made up, per unit.
    pub cost_components: Vec<CostComponent>,
    pub days: Vec<SpecDay>,
}

impl SpecProduct {
    /// Σ of the days' quantities.
    pub fn quantity(&self) -> Decimal {
        self.days.iter().map(|d| d.quantity).sum()
    }

    /// Σ of the days' amounts.
    pub fn amount(&self) -> Decimal {
        self.days.iter().map(|d| d.amount).sum()
    }
}

/// A site (delivery place) of the buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecSite {
    pub name: String,
    pub products: Vec<SpecProduct>,
}

/// The specification (*laskutusliite*) of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Specification {
    pub sites: Vec<SpecSite>,
    /// Plain-language sentences on what changed from last month.
    pub changes_from_last_month: Vec<String>,
}

/// A computed invoice or credit note: what the renderings take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub header: InvoiceHeader,
    /// The validated reference with its RF form.
    pub reference: CreditorReference,
    pub rows: Vec<InvoiceRow>,
    pub totals: Totals,
    pub specification: Specification,
}

/// A field that did not pass [`Invoice::compute`]'s checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// A path such as `seller.business_id` or `rows[3].unit_price`.
    pub field: String,
    /// Why, in plain language.
    pub reason: String,
}

/// Every field error of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("the invoice is not valid: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
pub struct InvoiceErrors(pub Vec<FieldError>);
