//! What every portal page shares: the [`Page`] context extractor (session,
//! language and layout, read once per request by [`context::layer`]), the
//! [`PageError`] that renders the right error page, the CSRF-checked
//! [`CsrfForm`], the [`PageQuery`] of GET pages (both refuse a value that does
//! not fit with the portal's 400 page naming it) and the [`Layout`] of the frame around every page.
//!
//! Handlers return [`PageResult`] and use `?` on backend calls:
//!
//! ```ignore
//! async fn site(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
//!     let d = s.contracts().get_site(page.grpc(pb::GetSiteRequest { id })?).await?.into_inner();
//!     Ok(render(StatusCode::OK, &SitePage { l: &page.l, i: &page.i, d }))
//! }
//! ```

pub mod context;
pub mod error;
pub mod fields;
pub mod form;
pub mod layout;
pub mod query;

pub use context::Page;
pub use error::{PageError, PageResult};
pub use fields::Invalid;
pub use form::{CsrfForm, CsrfUpload, FormError, FormPairs, Upload, date_field};
pub use layout::{Layout, render};
pub use query::PageQuery;
