//! The backends registry: every gRPC service the gateway fronts, one line each.
//!
//! Adding a backend service (e.g. feedback on :50054): a folder `src/feedback/`
//! with `mod.rs` (its [`Backend`] and typed client accessor), `rest.rs` (its
//! [`api!`](crate::rest::api) table) and `portal.rs` (its pages, templates in
//! `templates/feedback/`), `mod feedback;` in `lib.rs`, and a line here.

use crate::backend::Backend;
use crate::{contracts, feedback, invoicing, ordering, pricing};

/// In the order `/readyz` checks them and the OpenAPI document lists them.
pub const BACKENDS: &[&Backend] = &[&contracts::BACKEND, &pricing::BACKEND, &ordering::BACKEND, &invoicing::BACKEND, &feedback::BACKEND];
