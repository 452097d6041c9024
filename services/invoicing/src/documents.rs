//! Invoices as files (placeholder until the e-invoice crate lands).

use kumppani_platform::AppError;
use kumppani_proto::invoicing::v1 as pb;

pub fn render(_invoice: &pb::Invoice, _format: i32) -> Result<pb::InvoiceDocument, AppError> {
    Err(AppError::precondition("documents are not available yet"))
}
