//! The feedback service's tonic adapter: authenticates the caller and hands
//! the request to [`crate::service::Feedback`]. Only this module sees tonic.

use crate::service::Feedback;
use kumppani_platform::AppError;
use kumppani_platform::auth::{self, Principal, Verifier};
use kumppani_proto::feedback::v1 as pb;
use kumppani_proto::feedback::v1::feedback_service_server::FeedbackService;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct FeedbackApi {
    pub pool: PgPool,
    pub verifier: Verifier,
}

type R<T> = Result<Response<T>, Status>;

impl FeedbackApi {
    fn service(&self) -> Feedback {
        Feedback::new(self.pool.clone())
    }

    async fn principal<T>(&self, req: &Request<T>) -> Result<Principal, AppError> {
        auth::authenticate(&self.verifier, req).await
    }
}

fn ok<T>(r: Result<T, AppError>) -> R<T> {
    r.map(Response::new).map_err(AppError::into_status)
}

#[tonic::async_trait]
impl FeedbackService for FeedbackApi {
    #[tracing::instrument(skip_all)]
    async fn submit_feedback(&self, req: Request<pb::SubmitFeedbackRequest>) -> R<pb::FeedbackItem> {
        let p = self.principal(&req).await?;
        ok(self.service().submit(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn add_photos(&self, req: Request<pb::AddPhotosRequest>) -> R<pb::FeedbackItem> {
        let p = self.principal(&req).await?;
        ok(self.service().add_photos(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_photo(&self, req: Request<pb::GetPhotoRequest>) -> R<pb::PhotoFile> {
        let p = self.principal(&req).await?;
        ok(self.service().photo(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_feedback(&self, req: Request<pb::GetFeedbackRequest>) -> R<pb::FeedbackItem> {
        let p = self.principal(&req).await?;
        ok(self.service().get(&p, &req.into_inner().id).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_feedback(&self, req: Request<pb::ListFeedbackRequest>) -> R<pb::ListFeedbackResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().list(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn transition_feedback(&self, req: Request<pb::TransitionFeedbackRequest>) -> R<pb::FeedbackItem> {
        let p = self.principal(&req).await?;
        ok(self.service().transition(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn post_message(&self, req: Request<pb::PostMessageRequest>) -> R<pb::FeedbackItem> {
        let p = self.principal(&req).await?;
        ok(self.service().post_message(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn reassign_feedback(&self, req: Request<pb::ReassignFeedbackRequest>) -> R<pb::FeedbackItem> {
        let p = self.principal(&req).await?;
        ok(self.service().reassign(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn rate_handling(&self, req: Request<pb::RateHandlingRequest>) -> R<pb::FeedbackItem> {
        let p = self.principal(&req).await?;
        ok(self.service().rate(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_sla_targets(&self, req: Request<pb::ListSlaTargetsRequest>) -> R<pb::ListSlaTargetsResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().targets(&p, &req.into_inner().agreement_id).await.map(|targets| pb::ListSlaTargetsResponse { targets }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_sla_target(&self, req: Request<pb::SetSlaTargetRequest>) -> R<pb::SlaTarget> {
        let p = self.principal(&req).await?;
        ok(self.service().set_target(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_notifications(&self, req: Request<pb::ListNotificationsRequest>) -> R<pb::ListNotificationsResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().notifications(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn mark_notifications_read(&self, req: Request<pb::MarkNotificationsReadRequest>) -> R<pb::MarkNotificationsReadResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().mark_read(&p, req.into_inner()).await)
    }

    /// No bearer token: the service checks the request's api_key.
    #[tracing::instrument(skip_all)]
    async fn submit_open311_request(&self, req: Request<pb::Open311Submission>) -> R<pb::Open311Request> {
        ok(self.service().open311_submit(req.into_inner()).await)
    }

    /// No bearer token: public fields only.
    #[tracing::instrument(skip_all)]
    async fn list_open311_requests(&self, req: Request<pb::ListOpen311RequestsRequest>) -> R<pb::ListOpen311RequestsResponse> {
        ok(self.service().open311_list(req.into_inner()).await.map(|requests| pb::ListOpen311RequestsResponse { requests }))
    }

    #[tracing::instrument(skip_all)]
    async fn register_open311_client(&self, req: Request<pb::RegisterOpen311ClientRequest>) -> R<pb::Open311Client> {
        let p = self.principal(&req).await?;
        ok(self.service().open311_register(&p, &req.into_inner().name).await)
    }

    #[tracing::instrument(skip_all)]
    async fn create_survey(&self, req: Request<pb::CreateSurveyRequest>) -> R<pb::Survey> {
        let p = self.principal(&req).await?;
        ok(self.service().create_survey(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_surveys(&self, req: Request<pb::ListSurveysRequest>) -> R<pb::ListSurveysResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().surveys(&p).await.map(|surveys| pb::ListSurveysResponse { surveys }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_survey(&self, req: Request<pb::GetSurveyRequest>) -> R<pb::Survey> {
        let p = self.principal(&req).await?;
        ok(self.service().survey(&p, &req.into_inner().id).await)
    }

    #[tracing::instrument(skip_all)]
    async fn answer_survey(&self, req: Request<pb::AnswerSurveyRequest>) -> R<pb::Survey> {
        let p = self.principal(&req).await?;
        ok(self.service().answer_survey(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_survey_results(&self, req: Request<pb::GetSurveyResultsRequest>) -> R<pb::SurveyResults> {
        let p = self.principal(&req).await?;
        ok(self.service().survey_results(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_feedback_kpis(&self, req: Request<pb::GetFeedbackKpisRequest>) -> R<pb::FeedbackKpis> {
        let p = self.principal(&req).await?;
        ok(self.service().kpis(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn publish_announcement(&self, req: Request<pb::PublishAnnouncementRequest>) -> R<pb::Announcement> {
        let p = self.principal(&req).await?;
        ok(self.service().publish_announcement(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_announcements(&self, req: Request<pb::ListAnnouncementsRequest>) -> R<pb::ListAnnouncementsResponse> {
        let p = self.principal(&req).await?;
        ok(self.service().announcements(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn mark_announcement_read(&self, req: Request<pb::MarkAnnouncementReadRequest>) -> R<pb::Announcement> {
        let p = self.principal(&req).await?;
        ok(self.service().mark_announcement_read(&p, req.into_inner()).await)
    }
}
