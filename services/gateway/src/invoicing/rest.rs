//! The invoicing service's part of the REST API.

use kumppani_proto::invoicing::v1 as invoicing;

crate::rest::api! {
    get "/billing-calendar" => invoicing.list_billing_calendar(invoicing::ListBillingCalendarRequest) -> invoicing::ListBillingCalendarResponse, id = "", "The group billing calendar: each month's invoice date";
    put "/billing-calendar" => invoicing.set_invoice_date(invoicing::SetInvoiceDateRequest) -> invoicing::BillingMonth, id = "", "Set a month's invoice date (staff)";
    post "/manual-lines" => invoicing.add_manual_line(invoicing::AddManualLineRequest) -> invoicing::ManualLine, id = "", "Add a pass-through, credit or adjustment line for a month's invoice (staff)";
    get "/manual-lines" => invoicing.list_manual_lines(invoicing::ListManualLinesRequest) -> invoicing::ListManualLinesResponse, id = "", "Pass-through, credit and adjustment lines (staff)";
    post "/invoice-runs" => invoicing.start_run(invoicing::StartRunRequest) -> invoicing::Run, id = "", "Compute the month's draft invoices (re-running replaces the draft; staff)";
    get "/invoice-runs" => invoicing.list_runs(invoicing::ListRunsRequest) -> invoicing::ListRunsResponse, id = "", "Invoice runs (staff)";
    get "/invoice-run-progress" => invoicing.get_run_progress(invoicing::GetRunProgressRequest) -> invoicing::RunProgress, id = "", "Where the month's run is while it computes: phase and customers done of all (staff)";
    get "/invoice-runs/{id}" => invoicing.get_run(invoicing::GetRunRequest) -> invoicing::Run, id = "id", "A run with totals per customer and the differences from last month (staff)";
    post "/invoice-runs/{id}/issue" => invoicing.issue_run(invoicing::IssueRunRequest) -> invoicing::Run, id = "id", "Issue a draft run: numbers and reference numbers, invoices immutable (idempotent; staff)";
    get "/invoices" => invoicing.list_invoices(invoicing::ListInvoicesRequest) -> invoicing::ListInvoicesResponse, id = "", "Invoices by customer, month and status";
    get "/invoices/{id}" => invoicing.get_invoice(invoicing::GetInvoiceRequest) -> invoicing::Invoice, id = "id", "An invoice with its specification (days with days=true)";
    post "/invoices/{id}/credit" => invoicing.credit_invoice(invoicing::CreditInvoiceRequest) -> invoicing::Invoice, id = "id", "Credit a whole issued invoice: a credit note referring to it (staff)";
    get "/invoices/{id}/finvoice" => invoicing.get_finvoice(invoicing::GetInvoiceFileRequest) -> invoicing::InvoiceDocument, id = "id", file = "application/xml", "The issued invoice as a Finvoice 3.0 e-invoice";
    get "/invoices/{id}/peppol" => invoicing.get_peppol_invoice(invoicing::GetInvoiceFileRequest) -> invoicing::InvoiceDocument, id = "id", file = "application/xml", "The issued invoice as a Peppol BIS Billing 3.0 (UBL) e-invoice with the specification attached (customers with a Peppol id)";
    get "/invoices/{id}/pdf" => invoicing.get_invoice_pdf(invoicing::GetInvoiceFileRequest) -> invoicing::InvoiceDocument, id = "id", file = "application/pdf", "The issued invoice and its specification as PDF";
    get "/invoices/{id}/specification.csv" => invoicing.get_specification_csv(invoicing::GetInvoiceFileRequest) -> invoicing::InvoiceDocument, id = "id", file = "text/csv", "The specification as CSV: one row per site, product and day";
    post "/invoice-runs/{id}/export" => invoicing.export_run(invoicing::ExportRunRequest) -> invoicing::ExportBatch, id = "runId", "Write the issued run's batch (e-invoices, PDFs, manifest) for the group's billing; again: the same files (staff)";
    post "/invoices/{id}/export" => invoicing.export_credit_note(invoicing::ExportCreditNoteRequest) -> invoicing::ExportBatch, id = "invoiceId", "Write an issued credit note's own batch (e-invoice, PDF, manifest) for the group's billing; again: the same files (staff)";
    get "/export-batches" => invoicing.list_export_batches(invoicing::ListExportBatchesRequest) -> invoicing::ListExportBatchesResponse, id = "", "Export batches with their files (SHA-256) and each invoice's acknowledgement";
    get "/export-batches/{id}" => invoicing.get_export_batch(invoicing::GetExportBatchRequest) -> invoicing::ExportBatch, id = "id", "An export batch";
    post "/export-batches/{id}/acknowledgements" => invoicing.acknowledge_export(invoicing::AcknowledgeExportRequest) -> invoicing::ExportBatch, id = "batchId", "The group's billing accepts or rejects (with a reason) the batch's invoices";
    post "/invoices/{id}/questions" => invoicing.ask_about_invoice(invoicing::AskAboutInvoiceRequest) -> invoicing::InvoiceQuestion, id = "invoiceId", "Ask about an invoice or one of its rows (lineNo)";
    get "/invoice-questions" => invoicing.list_invoice_questions(invoicing::ListInvoiceQuestionsRequest) -> invoicing::ListInvoiceQuestionsResponse, id = "", "Invoice questions in the caller's scope with the count per month";
    post "/invoice-questions/{id}/answer" => invoicing.answer_invoice_question(invoicing::AnswerInvoiceQuestionRequest) -> invoicing::InvoiceQuestion, id = "id", "Answer an invoice question (staff)";
    get "/reconciliation" => invoicing.get_reconciliation(invoicing::GetReconciliationRequest) -> invoicing::Reconciliation, id = "", "Year-end reconciliation: budgeted vs delivered vs invoiced per service line, product and site, over-use (customer's risk) and under-use (producer's risk) in quantity and euros";
    get "/reconciliation.csv" => invoicing.get_reconciliation_csv(invoicing::GetReconciliationRequest) -> invoicing::InvoiceDocument, id = "", file = "text/csv", "The year-end reconciliation as CSV: one row per site and product";
    get "/month-to-date" => invoicing.get_month_to_date(invoicing::GetMonthToDateRequest) -> invoicing::Invoice, id = "", "What the current month has accrued so far for a customer";
}

impl crate::rest::FileBody for invoicing::InvoiceDocument {
    fn file_name(&self) -> &str {
        &self.file_name
    }
    fn content_type(&self) -> &str {
        &self.content_type
    }
    fn into_bytes(self) -> Vec<u8> {
        self.content
    }
}
