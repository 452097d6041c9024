//! The feedback service (`kumppani.feedback.v1`): reclamations, feedback,
//! praise, questions and ideas from the customers' sites, their handling with
//! SLA clocks, the conversation, corrective actions and compensations, ratings
//! and the portal's notifications — its REST routes and portal pages.

pub(crate) mod announcements;
mod item;
pub mod open311;
mod photos;
mod portal;
mod report;
mod rest;
mod survey;
mod targets;
mod view;

use crate::backend::Backend;
use crate::state::AppState;
use kumppani_proto::feedback::v1::feedback_service_client::FeedbackServiceClient;
use tonic::transport::Channel;

/// The largest answer of feedback: a photo of 10 MiB and its description.
const PHOTO_MESSAGE_BYTES: usize = 11 * 1024 * 1024;

pub const BACKEND: Backend = Backend {
    name: "feedback",
    url_env: "KUMPPANI_FEEDBACK_URL",
    default_url: "http://127.0.0.1:50054",
    package: "kumppani.feedback.v1",
    description: "feedback (reclamations, feedback, praise, questions and ideas from the sites; handling with SLA clocks in working hours, \
                  escalation, corrective actions, compensations, ratings, notifications and handling KPIs)",
    api: rest::API,
    portal: portal::routes,
    // Five photos of 10 MiB, base64 in JSON (4/3), and the rest of the request.
    max_body: 5 * 10 * 1024 * 1024 / 3 * 4 + 1024 * 1024,
};

impl AppState {
    /// The feedback service's client.
    pub fn feedback(&self) -> FeedbackServiceClient<Channel> {
        // A photo (up to 10 MiB) comes back in one message; axum's 4 MiB default is too small.
        FeedbackServiceClient::new(self.channel(BACKEND.name)).max_decoding_message_size(PHOTO_MESSAGE_BYTES)
    }
}

/// A feedback topic in the user's language (the home page's panel).
pub fn topic_word(i: &crate::i18n::I18n, v: i32) -> String {
    view::topic(i, v)
}

/// A feedback status in the user's language (the home page's panel).
pub fn status_word(i: &crate::i18n::I18n, v: i32) -> String {
    view::status(i, v)
}
