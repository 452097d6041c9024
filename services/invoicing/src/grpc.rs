//! The invoicing service's tonic adapter: authenticates the caller and hands
//! the request to [`crate::service::Invoicing`]. Only this module sees tonic.

use crate::documents::Format;
use crate::service::Invoicing;
use kumppani_platform::AppError;
use kumppani_platform::auth::{self, Principal, Verifier};
use kumppani_proto::invoicing::v1 as pb;
use kumppani_proto::invoicing::v1::invoicing_service_server::InvoicingService;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct InvoicingApi {
    pub pool: PgPool,
    pub verifier: Verifier,
    pub export: std::sync::Arc<crate::export::sink::ExportSink>,
}

type R<T> = Result<Response<T>, Status>;

impl InvoicingApi {
    fn service(&self) -> Invoicing {
        Invoicing { pool: self.pool.clone(), export: self.export.clone() }
    }

    async fn principal<T>(&self, req: &Request<T>) -> Result<Principal, AppError> {
        auth::authenticate(&self.verifier, req).await
    }
}

fn ok<T>(r: Result<T, AppError>) -> R<T> {
    r.map(Response::new).map_err(AppError::into_status)
}

#[tonic::async_trait]
impl InvoicingService for InvoicingApi {
    #[tracing::instrument(skip_all)]
    async fn list_billing_calendar(&self, req: Request<pb::ListBillingCalendarRequest>) -> R<pb::ListBillingCalendarResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().billing_calendar(&p, req.into_inner().year).await.map(|months| pb::ListBillingCalendarResponse { months }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_invoice_date(&self, req: Request<pb::SetInvoiceDateRequest>) -> R<pb::BillingMonth> {
        let p = self.principal(&req).await?;
        ok(self.service().set_invoice_date(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn add_manual_line(&self, req: Request<pb::AddManualLineRequest>) -> R<pb::ManualLine> {
        let p = self.principal(&req).await?;
        ok(self.service().add_manual_line(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_manual_lines(&self, req: Request<pb::ListManualLinesRequest>) -> R<pb::ListManualLinesResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().list_manual_lines(&p, req.into_inner()).await.map(|lines| pb::ListManualLinesResponse { lines }))
    }

    #[tracing::instrument(skip_all)]
    async fn start_run(&self, req: Request<pb::StartRunRequest>) -> R<pb::Run> {
        let p = self.principal(&req).await?;
        ok(self.service().start_run(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn issue_run(&self, req: Request<pb::IssueRunRequest>) -> R<pb::Run> {
        let p = self.principal(&req).await?;
        ok(self.service().issue_run(&p, &req.into_inner().id).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_run(&self, req: Request<pb::GetRunRequest>) -> R<pb::Run> {
        let p = self.principal(&req).await?;
        ok(self.service().get_run(&p, &req.into_inner().id).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_runs(&self, req: Request<pb::ListRunsRequest>) -> R<pb::ListRunsResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().list_runs(&p, req.into_inner().year).await.map(|runs| pb::ListRunsResponse { runs }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_invoices(&self, req: Request<pb::ListInvoicesRequest>) -> R<pb::ListInvoicesResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().list_invoices(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_invoice(&self, req: Request<pb::GetInvoiceRequest>) -> R<pb::Invoice> {
        let p = self.principal(&req).await?;
        ok(self.service().get_invoice(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_finvoice(&self, req: Request<pb::GetInvoiceFileRequest>) -> R<pb::InvoiceDocument> {
        let p = self.principal(&req).await?;
        ok(self.service().document(&p, &req.into_inner().id, Format::Finvoice).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_peppol_invoice(&self, req: Request<pb::GetInvoiceFileRequest>) -> R<pb::InvoiceDocument> {
        let p = self.principal(&req).await?;
        ok(self.service().document(&p, &req.into_inner().id, Format::Peppol).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_invoice_pdf(&self, req: Request<pb::GetInvoiceFileRequest>) -> R<pb::InvoiceDocument> {
        let p = self.principal(&req).await?;
        ok(self.service().document(&p, &req.into_inner().id, Format::Pdf).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_specification_csv(&self, req: Request<pb::GetInvoiceFileRequest>) -> R<pb::InvoiceDocument> {
        let p = self.principal(&req).await?;
        ok(self.service().document(&p, &req.into_inner().id, Format::Csv).await)
    }

    #[tracing::instrument(skip_all)]
    async fn credit_invoice(&self, req: Request<pb::CreditInvoiceRequest>) -> R<pb::Invoice> {
        let p = self.principal(&req).await?;
        ok(self.service().credit_invoice(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_month_to_date(&self, req: Request<pb::GetMonthToDateRequest>) -> R<pb::Invoice> {
        let p = self.principal(&req).await?;
        ok(self.service().month_to_date(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn export_run(&self, req: Request<pb::ExportRunRequest>) -> R<pb::ExportBatch> {
        let p = self.principal(&req).await?;
        ok(self.service().export_run(&p, &req.into_inner().run_id).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_export_batches(&self, req: Request<pb::ListExportBatchesRequest>) -> R<pb::ListExportBatchesResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().export_batches(&p, req.into_inner().year).await.map(|batches| pb::ListExportBatchesResponse { batches }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_export_batch(&self, req: Request<pb::GetExportBatchRequest>) -> R<pb::ExportBatch> {
        let p = self.principal(&req).await?;
        ok(self.service().export_batch(&p, &req.into_inner().id).await)
    }

    #[tracing::instrument(skip_all)]
    async fn acknowledge_export(&self, req: Request<pb::AcknowledgeExportRequest>) -> R<pb::ExportBatch> {
        let p = self.principal(&req).await?;
        ok(self.service().acknowledge_export(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn ask_about_invoice(&self, req: Request<pb::AskAboutInvoiceRequest>) -> R<pb::InvoiceQuestion> {
        let p = self.principal(&req).await?;
        ok(self.service().ask(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn answer_invoice_question(&self, req: Request<pb::AnswerInvoiceQuestionRequest>) -> R<pb::InvoiceQuestion> {
        let p = self.principal(&req).await?;
        ok(self.service().answer(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_invoice_questions(&self, req: Request<pb::ListInvoiceQuestionsRequest>) -> R<pb::ListInvoiceQuestionsResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().questions(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_reconciliation(&self, req: Request<pb::GetReconciliationRequest>) -> R<pb::Reconciliation> {
        let p = self.principal(&req).await?;
        ok(self.service().reconciliation(&p, req.get_ref()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_reconciliation_csv(&self, req: Request<pb::GetReconciliationRequest>) -> R<pb::InvoiceDocument> {
        let p = self.principal(&req).await?;
        ok(self.service().reconciliation_csv(&p, req.get_ref()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_run_progress(&self, req: Request<pb::GetRunProgressRequest>) -> R<pb::RunProgress> {
        let p = self.principal(&req).await?;
        ok(self.service().run_progress(&p, req.get_ref()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn export_credit_note(&self, req: Request<pb::ExportCreditNoteRequest>) -> R<pb::ExportBatch> {
        let p = self.principal(&req).await?;
        ok(self.service().export_credit_note(&p, &req.get_ref().invoice_id).await)
    }
}
