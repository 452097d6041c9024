//! The contracts service's part of the REST API.

use kumppani_proto::contracts::v1 as pb;

crate::rest::api! {
    get "/customers" => contracts.list_customers(pb::ListCustomersRequest) -> pb::ListCustomersResponse, id = "", "List customers (search, filter, paginate)";
    post "/customers" => contracts.create_customer(pb::CreateCustomerRequest) -> pb::Customer, id = "", "Create a customer";
    get "/customers/{id}" => contracts.get_customer(pb::GetCustomerRequest) -> pb::CustomerDetail, id = "id", "A customer with units, contacts and agreements";
    patch "/customers/{id}" => contracts.update_customer(pb::UpdateCustomerRequest) -> pb::Customer, id = "id", "Update a customer";
    post "/customers/{id}/units" => contracts.create_unit(pb::CreateUnitRequest) -> pb::Unit, id = "customerId", "Add a customer unit";
    put "/customers/{id}/billing" => contracts.set_billing_details(pb::SetBillingDetailsRequest) -> pb::CustomerDetail, id = "customerId", "Set a customer's billing details, or with unitId one of its units' overrides (staff)";
    get "/sites" => contracts.list_sites(pb::ListSitesRequest) -> pb::ListSitesResponse, id = "", "List sites (search, filter, paginate)";
    post "/sites" => contracts.create_site(pb::CreateSiteRequest) -> pb::Site, id = "", "Create a site";
    get "/sites/{id}" => contracts.get_site(pb::GetSiteRequest) -> pb::SiteDetail, id = "id", "A site with its contacts and agreements";
    patch "/sites/{id}" => contracts.update_site(pb::UpdateSiteRequest) -> pb::Site, id = "id", "Update or close a site";
    get "/sites/{id}/who-to-contact" => contracts.who_to_contact(pb::WhoToContactRequest) -> pb::WhoToContactResponse, id = "siteId", "Who do I contact about a topic at this site";
    get "/contacts" => contracts.list_contacts(pb::ListContactsRequest) -> pb::ListContactsResponse, id = "", "Contacts of a customer or site";
    post "/contacts" => contracts.create_contact(pb::CreateContactRequest) -> pb::Contact, id = "", "Add a contact person";
    get "/agreements" => contracts.list_agreements(pb::ListAgreementsRequest) -> pb::ListAgreementsResponse, id = "", "List service agreements";
    post "/agreements" => contracts.create_agreement(pb::CreateAgreementRequest) -> pb::Agreement, id = "", "Create a draft agreement for a customer and year";
    get "/agreements/{id}" => contracts.get_agreement(pb::GetAgreementRequest) -> pb::Agreement, id = "id", "An agreement with lines, annexes and history";
    put "/agreements/{id}/terms" => contracts.update_agreement_terms(pb::UpdateAgreementTermsRequest) -> pb::Agreement, id = "id", "Replace the Liite 2 §3 terms of a draft or negotiated agreement";
    post "/agreements/{id}/lines" => contracts.add_agreement_line(pb::AddAgreementLineRequest) -> pb::Agreement, id = "agreementId", "Add a service line with per-site service levels";
    post "/agreements/{id}/annexes" => contracts.add_annex(pb::AddAnnexRequest) -> pb::Agreement, id = "agreementId", "Add an annex (same title = next version)";
    post "/agreements/{id}/transitions" => contracts.transition_agreement(pb::TransitionAgreementRequest) -> pb::Agreement, id = "id", "Move the agreement in its lifecycle";
    get "/agreements/{id}/amendments" => contracts.list_amendments(pb::ListAmendmentsRequest) -> pb::ListAmendmentsResponse, id = "agreementId", "Amendments of an agreement";
    post "/agreements/{id}/amendments" => contracts.propose_amendment(pb::ProposeAmendmentRequest) -> pb::Amendment, id = "agreementId", "Propose an amendment during the period";
    post "/amendments/{id}/customer-group-approval" => contracts.record_customer_group_approval(pb::RecordCustomerGroupApprovalRequest) -> pb::Amendment, id = "amendmentId", "Record the customer group's approval";
    post "/amendments/{id}/decision" => contracts.decide_amendment(pb::DecideAmendmentRequest) -> pb::Amendment, id = "amendmentId", "Approve or reject an amendment";
    get "/calendar-steps" => partnership.list_calendar_steps(pb::ListCalendarStepsRequest) -> pb::ListCalendarStepsResponse, id = "", "The annual calendar's template (vuosikello): its steps in the order of the year, each due on a day of a month of the year before the agreement year; includeInactive for staff";
    post "/calendar-steps" => partnership.set_calendar_step(pb::SetCalendarStepRequest) -> pb::CalendarStep, id = "", "Add a step to the template, or edit one (id with expectedVersion); texts in fi, sv and en (staff)";
    post "/calendar-plans" => partnership.plan_calendar(pb::PlanCalendarRequest) -> pb::PlanCalendarResponse, id = "", "Make an agreement year's tasks from the template's active steps for one customer or every customer, owners defaulting to the customer-level contract contacts; steps already planned are kept (staff)";
    get "/calendar-tasks" => partnership.list_calendar_tasks(pb::ListCalendarTasksRequest) -> pb::ListCalendarTasksResponse, id = "", "Annual calendar tasks by due date: of a year, a customer (a customer's contact persons: their own), the overdue ones, or those still open and due by a day";
    get "/calendar-tasks/{id}" => partnership.get_calendar_task(pb::GetCalendarTaskRequest) -> pb::CalendarTask, id = "id", "An annual calendar task with its owners, status and outcome";
    post "/calendar-tasks/{id}" => partnership.update_calendar_task(pb::UpdateCalendarTaskRequest) -> pb::CalendarTask, id = "id", "Record a task's owners (contact persons of its customer, per party), due date, status and outcome; expectedVersion guards against concurrent changes (staff)";
    get "/partnership-kpis" => partnership.get_partnership_kpis(pb::GetPartnershipKpisRequest) -> pb::PartnershipKpis, id = "", "Annual calendar steps done on time and agreements signed by 31.12 of the year before, with disputes opened and escalated, for an agreement year and yearsBack earlier ones";
    get "/disputes" => partnership.list_disputes(pb::ListDisputesRequest) -> pb::ListDisputesResponse, id = "", "Disputes, newest first, with their two-month clock: by customer, agreement and status";
    post "/disputes" => partnership.open_dispute(pb::OpenDisputeRequest) -> pb::Dispute, id = "", "Open a dispute on an agreement (staff, or a contact person of the agreement's customer); not settled within two months of openedOn it escalates to the deputy mayor responsible by itself";
    get "/disputes/{id}" => partnership.get_dispute(pb::GetDisputeRequest) -> pb::Dispute, id = "id", "A dispute with its clock, escalation and settlement";
    post "/disputes/{id}/settlement" => partnership.settle_dispute(pb::SettleDisputeRequest) -> pb::Dispute, id = "id", "Record a dispute's outcome and settlement date (staff)";
    get "/meetings" => partnership.list_meetings(pb::ListMeetingsRequest) -> pb::ListMeetingsResponse, id = "", "Customer meetings and status reviews, newest first, with their action items (a customer's contact persons: their own)";
    post "/meetings" => partnership.save_meeting(pb::SaveMeetingRequest) -> pb::Meeting, id = "", "Record a meeting (no id), or its minutes and decisions (id with expectedVersion) (staff)";
    get "/meetings/{id}" => partnership.get_meeting(pb::GetMeetingRequest) -> pb::Meeting, id = "id", "A meeting with its minutes, decisions and action items";
    get "/action-items" => partnership.list_action_items(pb::ListActionItemsRequest) -> pb::ListActionItemsResponse, id = "", "Meetings' action items by due date: of a customer, only open ones, or mine=true for the caller's own (the contact person with the token's e-mail)";
    post "/action-items" => partnership.save_action_item(pb::SaveActionItemRequest) -> pb::ActionItem, id = "", "Add an action item to a meeting (meetingId), or change one (id with expectedVersion): owner (a contact person of the meeting's customer), due date, done date (staff)";
    get "/projects" => partnership.list_projects(pb::ListProjectsRequest) -> pb::ListProjectsResponse, id = "", "Development projects with milestones and whether each is on schedule (a customer's contact persons: their own)";
    post "/projects" => partnership.save_project(pb::SaveProjectRequest) -> pb::Project, id = "", "Start a development project (no id) or change one (id with expectedVersion): goal, responsible persons of both sides, status, hours planned and used (staff)";
    get "/projects/{id}" => partnership.get_project(pb::GetProjectRequest) -> pb::Project, id = "id", "A development project with its milestones";
    post "/projects/{id}/milestones" => partnership.save_milestone(pb::SaveMilestoneRequest) -> pb::Project, id = "projectId", "Add a milestone to a project, or change one (id with expectedVersion): planned day and the day it was reached (staff)";
}
