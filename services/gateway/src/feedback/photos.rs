//! Photos of a feedback item in the portal: the files of a posted form as the
//! service takes them, and a photo's bytes served to whoever may see its item
//! (the service decides; the gateway keeps nothing).
//!
//! A photo is served with the media type its bytes were found to be, never
//! sniffed by the browser (`nosniff`); JPEG and PNG inline, HEIC (which
//! browsers do not show) as a download.

use crate::page::{Page, PageResult, Upload};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use kumppani_proto::feedback::v1 as pb;

/// The largest portal form with photos: five photos of 10 MiB and the rest of the form.
pub const MAX_FORM_BYTES: usize = 5 * 10 * 1024 * 1024 + 1024 * 1024;

/// The photos of a posted form (its `photos` file inputs) as the service takes them.
pub fn uploads(files: Vec<Upload>) -> Vec<pb::PhotoUpload> {
    files.into_iter().filter(|f| f.field == "photos").map(|f| pb::PhotoUpload { filename: f.filename, content: f.bytes }).collect()
}

/// Does a browser show this media type in an `<img>`?
pub fn shown_inline(content_type: &str) -> bool {
    matches!(content_type, "image/jpeg" | "image/png")
}

/// A photo's file name for a `Content-Disposition` header.
fn header_name(name: &str) -> String {
    crate::rest::header_file_name(name, "photo")
}

#[tracing::instrument(skip_all)]
async fn photo(State(s): State<AppState>, page: Page, Path((id, photo_id)): Path<(String, String)>) -> PageResult {
    let file = s.feedback().get_photo(page.grpc(pb::GetPhotoRequest { id, photo_id })?).await?.into_inner();
    let p = file.photo.unwrap_or_default();
    let disposition = if shown_inline(&p.content_type) { "inline" } else { "attachment" };
    Ok((
        [
            (header::CONTENT_TYPE, p.content_type.clone()),
            (header::CONTENT_DISPOSITION, format!("{disposition}; filename=\"{}\"", header_name(&p.filename))),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            // A person's own view of a private item: kept by their browser only.
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
        ],
        file.content,
    )
        .into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/portal/feedback/{id}/photos/{photo}", get(photo))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_header_file_name_keeps_only_safe_characters() {
        assert_eq!(super::header_name("IMG_0042.HEIC"), "IMG_0042.HEIC");
        assert_eq!(super::header_name("ruoka \"x\";.jpg"), "ruokax.jpg");
        assert_eq!(super::header_name("äö"), "photo");
    }
}
