//! The feedback service's part of the REST API.

use kumppani_proto::feedback::v1 as feedback;

crate::rest::api! {
    post "/feedback" => feedback.submit_feedback(feedback::SubmitFeedbackRequest) -> feedback::FeedbackItem, id = "", "Submit a reclamation, feedback, praise, question or idea for a site (the caller's own site or customer; staff enter a phone call or an e-mail with channel and contact). The same idempotencyKey again answers with the first item";
    get "/feedback" => feedback.list_feedback(feedback::ListFeedbackRequest) -> feedback::ListFeedbackResponse, id = "", "Feedback items in the caller's scope, newest first: by customer, site and status (empty: every status); mine=true for the items the calling staff member handles";
    get "/feedback/{id}" => feedback.get_feedback(feedback::GetFeedbackRequest) -> feedback::FeedbackItem, id = "id", "A feedback item with its SLA clocks, its thread (internal notes for staff only) and its history";
    post "/feedback/{id}/transitions" => feedback.transition_feedback(feedback::TransitionFeedbackRequest) -> feedback::FeedbackItem, id = "id", "Move an item along its lifecycle: staff acknowledge, start, wait for the customer (note), resolve (corrective action, required for reclamations; optional compensation) and close; the submitter's side closes a resolved item or reopens it (note) within 14 days of resolution. expectedVersion guards against concurrent changes";
    post "/feedback/{id}/messages" => feedback.post_message(feedback::PostMessageRequest) -> feedback::FeedbackItem, id = "id", "Post a message in the item's thread; internal=true is a staff-only internal note";
    post "/feedback/{id}/reassign" => feedback.reassign_feedback(feedback::ReassignFeedbackRequest) -> feedback::FeedbackItem, id = "id", "Hand the item to another contact person of the producer (staff)";
    post "/feedback/{id}/photos" => feedback.add_photos(feedback::AddPhotosRequest) -> feedback::FeedbackItem, id = "id", "Add photos to an item (the submitter's side or staff, while it is not closed): JPEG, PNG or HEIC by their bytes, base64 in content, at most 10 MiB each and 5 per item";
    get "/feedback/{id}/photo" => feedback.get_photo(feedback::GetPhotoRequest) -> feedback::PhotoFile, id = "id", file = "image/*", "One photo of an item (photoId) as its bytes, with its own media type (image/jpeg, image/png or image/heic)";
    post "/feedback/{id}/rating" => feedback.rate_handling(feedback::RateHandlingRequest) -> feedback::FeedbackItem, id = "id", "Rate the handling of a resolved or closed item, 1–5 with an optional comment (the submitter's side, once)";
    get "/sla-targets" => feedback.list_sla_targets(feedback::ListSlaTargetsRequest) -> feedback::ListSlaTargetsResponse, id = "", "SLA targets (acknowledge and resolve, in minutes) per severity and topic: the defaults, and an agreement's own with agreementId";
    put "/sla-targets" => feedback.set_sla_target(feedback::SetSlaTargetRequest) -> feedback::SlaTarget, id = "", "Set an SLA target for a severity and topic (unspecified topic: every topic), the default or an agreement's own (staff)";
    get "/notifications" => feedback.list_notifications(feedback::ListNotificationsRequest) -> feedback::ListNotificationsResponse, id = "", "The caller's notifications (by the e-mail address of their token), newest first, with the count of unread ones";
    post "/notifications/read" => feedback.mark_notifications_read(feedback::MarkNotificationsReadRequest) -> feedback::MarkNotificationsReadResponse, id = "", "Mark the caller's notifications read: the ids given, or all of them when none is given";
    get "/surveys" => feedback.list_surveys(feedback::ListSurveysRequest) -> feedback::ListSurveysResponse, id = "", "The annual 9E customer surveys, newest first, with the caller's own answers and whether they are a recipient (a customer's people: their customer's counts)";
    post "/surveys" => feedback.create_survey(feedback::CreateSurveyRequest) -> feedback::Survey, id = "", "Create the year's survey from the 9E template (staff); the customers' contact persons of both levels become its recipients";
    get "/surveys/{id}" => feedback.get_survey(feedback::GetSurveyRequest) -> feedback::Survey, id = "id", "A survey with its questions (fi, sv, en) and the caller's own answers";
    post "/surveys/{id}/answers" => feedback.answer_survey(feedback::AnswerSurveyRequest) -> feedback::Survey, id = "survey_id", "Answer every question 1–5 with optional comments (a recipient, while the survey is open); answering again replaces the answers";
    get "/survey-results" => feedback.get_survey_results(feedback::GetSurveyResultsRequest) -> feedback::SurveyResults, id = "", "A year's results per 9E dimension with last year's averages for the trend, the response rate and per customer; open answers for staff";
    get "/feedback-kpis" => feedback.get_feedback_kpis(feedback::GetFeedbackKpisRequest) -> feedback::FeedbackKpis, id = "", "Handling KPIs of a year for a customer (or all): per month received, resolved, acknowledged and resolved in time, median handling time and average rating; open and breached open items now";
    get "/announcements" => feedback.list_announcements(feedback::ListAnnouncementsRequest) -> feedback::ListAnnouncementsResponse, id = "", "Announcements, newest first: staff every one with its read count and reach; others those aimed at them and in their publish window, with the unread count";
    post "/announcements" => feedback.publish_announcement(feedback::PublishAnnouncementRequest) -> feedback::Announcement, id = "", "Publish an announcement in fi/sv/en to everybody or to customers, units, site kinds or sites at a contact level, within a publish window; e-mailed to the contact persons it reaches once published (staff)";
    post "/announcements/{id}/read" => feedback.mark_announcement_read(feedback::MarkAnnouncementReadRequest) -> feedback::Announcement, id = "id", "Record that the caller has read an announcement aimed at them";
}

impl crate::rest::FileBody for feedback::PhotoFile {
    fn file_name(&self) -> &str {
        self.photo.as_ref().map(|p| p.filename.as_str()).unwrap_or("photo")
    }
    fn content_type(&self) -> &str {
        self.photo.as_ref().map(|p| p.content_type.as_str()).unwrap_or("application/octet-stream")
    }
    fn into_bytes(self) -> Vec<u8> {
        self.content
    }
}
