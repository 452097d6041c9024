//! `PartnershipService`'s tonic adapter: authenticates the caller and hands
//! the request to [`crate::partnership::Partnership`].

use crate::partnership::Partnership;
use kumppani_platform::AppError;
use kumppani_platform::auth::{self, Principal, Verifier};
use kumppani_proto::contracts::v1 as pb;
use kumppani_proto::contracts::v1::partnership_service_server::PartnershipService;
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct PartnershipApi {
    pub service: Partnership,
    pub verifier: Verifier,
}

type R<T> = Result<Response<T>, Status>;

impl PartnershipApi {
    async fn principal<T>(&self, req: &Request<T>) -> Result<Principal, AppError> {
        auth::authenticate(&self.verifier, req).await
    }
}

fn ok<T>(r: Result<T, AppError>) -> R<T> {
    r.map(Response::new).map_err(AppError::into_status)
}

#[tonic::async_trait]
impl PartnershipService for PartnershipApi {
    #[tracing::instrument(skip_all)]
    async fn list_calendar_steps(&self, req: Request<pb::ListCalendarStepsRequest>) -> R<pb::ListCalendarStepsResponse> {
        let p = self.principal(&req).await?;
        ok(self.service.steps(&p, req.into_inner().include_inactive).await.map(|steps| pb::ListCalendarStepsResponse { steps }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_calendar_step(&self, req: Request<pb::SetCalendarStepRequest>) -> R<pb::CalendarStep> {
        let p = self.principal(&req).await?;
        ok(self.service.set_step(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn plan_calendar(&self, req: Request<pb::PlanCalendarRequest>) -> R<pb::PlanCalendarResponse> {
        let p = self.principal(&req).await?;
        ok(self.service.plan(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_calendar_tasks(&self, req: Request<pb::ListCalendarTasksRequest>) -> R<pb::ListCalendarTasksResponse> {
        let p = self.principal(&req).await?;
        ok(self.service.tasks(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_calendar_task(&self, req: Request<pb::GetCalendarTaskRequest>) -> R<pb::CalendarTask> {
        let p = self.principal(&req).await?;
        ok(self.service.task(&p, &req.into_inner().id).await)
    }

    #[tracing::instrument(skip_all)]
    async fn update_calendar_task(&self, req: Request<pb::UpdateCalendarTaskRequest>) -> R<pb::CalendarTask> {
        let p = self.principal(&req).await?;
        ok(self.service.update_task(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_partnership_kpis(&self, req: Request<pb::GetPartnershipKpisRequest>) -> R<pb::PartnershipKpis> {
        let p = self.principal(&req).await?;
        ok(self.service.kpis(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn open_dispute(&self, req: Request<pb::OpenDisputeRequest>) -> R<pb::Dispute> {
        let p = self.principal(&req).await?;
        ok(self.service.open_dispute(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_dispute(&self, req: Request<pb::GetDisputeRequest>) -> R<pb::Dispute> {
        let p = self.principal(&req).await?;
        ok(self.service.dispute(&p, &req.into_inner().id).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_disputes(&self, req: Request<pb::ListDisputesRequest>) -> R<pb::ListDisputesResponse> {
        let p = self.principal(&req).await?;
        ok(self.service.disputes(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn settle_dispute(&self, req: Request<pb::SettleDisputeRequest>) -> R<pb::Dispute> {
        let p = self.principal(&req).await?;
        ok(self.service.settle(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn save_meeting(&self, req: Request<pb::SaveMeetingRequest>) -> R<pb::Meeting> {
        let p = self.principal(&req).await?;
        ok(self.service.save_meeting(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_meeting(&self, req: Request<pb::GetMeetingRequest>) -> R<pb::Meeting> {
        let p = self.principal(&req).await?;
        ok(self.service.meeting(&p, &req.into_inner().id).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_meetings(&self, req: Request<pb::ListMeetingsRequest>) -> R<pb::ListMeetingsResponse> {
        let p = self.principal(&req).await?;
        ok(self.service.meetings(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn save_action_item(&self, req: Request<pb::SaveActionItemRequest>) -> R<pb::ActionItem> {
        let p = self.principal(&req).await?;
        ok(self.service.save_action(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_action_items(&self, req: Request<pb::ListActionItemsRequest>) -> R<pb::ListActionItemsResponse> {
        let p = self.principal(&req).await?;
        ok(self.service.actions(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn save_project(&self, req: Request<pb::SaveProjectRequest>) -> R<pb::Project> {
        let p = self.principal(&req).await?;
        ok(self.service.save_project(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn get_project(&self, req: Request<pb::GetProjectRequest>) -> R<pb::Project> {
        let p = self.principal(&req).await?;
        ok(self.service.project(&p, &req.into_inner().id).await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_projects(&self, req: Request<pb::ListProjectsRequest>) -> R<pb::ListProjectsResponse> {
        let p = self.principal(&req).await?;
        ok(self.service.projects(&p, req.into_inner()).await)
    }

    #[tracing::instrument(skip_all)]
    async fn save_milestone(&self, req: Request<pb::SaveMilestoneRequest>) -> R<pb::Project> {
        let p = self.principal(&req).await?;
        ok(self.service.save_milestone(&p, req.into_inner()).await)
    }
}
