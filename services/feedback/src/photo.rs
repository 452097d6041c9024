//! Photos of a feedback item: what a photo is (JPEG, PNG or HEIC, told by its
//! bytes, never by its name or a declared type), how big it may be and how
//! many an item may have.
//!
//! Invariants:
//! - A stored photo's `content_type` is what [`sniff`] found in its bytes; a
//!   file whose bytes are none of the three is refused, whatever it is called.
//! - At most [`MAX_PHOTOS`] per item counting those already stored, each at
//!   most [`MAX_BYTES`] and not empty; a refusal names the photo
//!   (`photos[i]`, with its number and name as parameters) and writes nothing.
//! - The name is only a label: path parts and control characters are dropped.
//!
//! Deliberately absent: re-encoding or thumbnails (the portal shows JPEG and
//! PNG as they are and offers HEIC, which browsers do not show, as a download)
//! and EXIF stripping (the photos stay between the customer and the producer;
//! revisit if photos ever become public through Open311).

use kumppani_platform::Reason;
use kumppani_platform::validate::Violations;
use kumppani_proto::feedback::v1 as pb;

/// At most this many photos per item.
pub const MAX_PHOTOS: usize = 5;
/// At most this many bytes per photo (10 MiB).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// ISO BMFF major or compatible brands of HEIF images with HEVC coding (HEIC)
/// and of the HEIF image container generally (`mif1`, `msf1`), as phones write them.
const HEIF_BRANDS: [&[u8; 4]; 8] = [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"];

/// The image type of `bytes` by their signature: `image/jpeg`, `image/png`,
/// `image/heic`, or `None`.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some("image/png");
    }
    // ISO BMFF: a box size, then `ftyp`, the major brand, the minor version and compatible brands.
    if bytes.len() >= 16 && &bytes[4..8] == b"ftyp" {
        let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let end = size.clamp(16, bytes.len().min(256));
        let major = &bytes[8..12];
        let compatible = bytes[16..end].chunks_exact(4);
        if std::iter::once(major).chain(compatible).any(|b| HEIF_BRANDS.iter().any(|h| h.as_slice() == b)) {
            return Some("image/heic");
        }
    }
    None
}

/// A checked photo, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoto {
    pub filename: String,
    pub content_type: &'static str,
    pub content: Vec<u8>,
}

/// The name shown for a photo: its last path part, without control
/// characters, at most 200 characters; `kuva.<ext>` when nothing is left.
fn label(filename: &str, content_type: &str) -> String {
    let last = filename.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean == "." || clean == ".." {
        match content_type.rsplit_once('/') {
            Some((_, "jpeg")) => "kuva.jpg".to_owned(),
            Some((_, ext)) => format!("kuva.{ext}"),
            None => "kuva".to_owned(),
        }
    } else {
        clean.to_owned()
    }
}

/// Checks uploads against what the item already has (`stored`): every bad
/// photo named at once (`photos[i]`), too many as `photos`.
pub fn check(v: &mut Violations, uploads: Vec<pb::PhotoUpload>, stored: usize) -> Vec<NewPhoto> {
    if stored + uploads.len() > MAX_PHOTOS {
        v.add(
            "photos",
            Reason::new("too_many_photos", format!("at most {MAX_PHOTOS} photos per item ({stored} already)"))
                .with("max", MAX_PHOTOS)
                .with("stored", stored),
        );
    }
    let mut out = Vec::with_capacity(uploads.len());
    for (i, u) in uploads.into_iter().enumerate() {
        let field = format!("photos[{i}]");
        let name = label(&u.filename, "");
        let named = |r: Reason| r.with("number", i + 1).with("filename", &name);
        if u.content.is_empty() {
            v.add(field, named(Reason::new("photo_empty", "the file is empty")));
        } else if u.content.len() > MAX_BYTES {
            v.add(field, named(Reason::new("photo_too_large", "is larger than 10 MiB").with("max_mib", MAX_BYTES / (1024 * 1024))));
        } else if let Some(content_type) = sniff(&u.content) {
            out.push(NewPhoto { filename: label(&u.filename, content_type), content_type, content: u.content });
        } else {
            v.add(field, named(Reason::new("not_an_image", "is not a JPEG, PNG or HEIC image")));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn upload(name: &str, content: Vec<u8>) -> pb::PhotoUpload {
        pb::PhotoUpload { filename: name.into(), content }
    }

    fn heic(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len();
        let mut b = (size as u32).to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0, 0, 0, 0]);
        for c in compatible {
            b.extend_from_slice(*c);
        }
        b.extend_from_slice(&[0; 32]);
        b
    }

    #[test]
    fn the_bytes_decide_the_type_not_the_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(&heic(b"heic", &[b"mif1", b"heic"])), Some("image/heic"));
        // An iPhone's HEIF declares mif1 as major brand and heic as compatible.
        assert_eq!(sniff(&heic(b"mif1", &[b"heic"])), Some("image/heic"));
        // An MP4 video is ISO BMFF too, but not an image.
        assert_eq!(sniff(&heic(b"isom", &[b"iso2", b"mp41"])), None);
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"\xFF\xD8"), None, "a truncated signature");
        let mut v = Violations::default();
        let photos = check(&mut v, vec![upload("kuva.jpg", b"%PDF-1.7 not a photo".to_vec())], 0);
        assert!(photos.is_empty());
        let e = v.finish().unwrap_err();
        assert_eq!(e.violations[0].field, "photos[0]");
        assert_eq!(e.violations[0].params["filename"], "kuva.jpg");
        assert_eq!(e.violations[0].code, "not_an_image");
    }

    #[test]
    fn size_and_count_are_limited_and_every_bad_photo_is_named() {
        let jpeg = |n: usize| {
            let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
            b.resize(n, 0);
            b
        };
        let mut v = Violations::default();
        let ok = check(&mut v, vec![upload("a.jpg", jpeg(MAX_BYTES)), upload("b.jpg", jpeg(100))], 3);
        assert_eq!(ok.len(), 2, "exactly 10 MiB and the fifth photo are fine");
        v.finish().unwrap();
        let mut v = Violations::default();
        check(&mut v, vec![upload("a.jpg", jpeg(MAX_BYTES + 1)), upload("b.jpg", Vec::new()), upload("c.jpg", jpeg(10))], 3);
        let e = v.finish().unwrap_err();
        let fields: Vec<_> = e.violations.iter().map(|x| (x.field.as_str(), x.code.as_str())).collect();
        assert_eq!(fields, vec![("photos", "too_many_photos"), ("photos[0]", "photo_too_large"), ("photos[1]", "photo_empty")]);
    }

    #[test]
    fn a_name_is_only_a_label() {
        assert_eq!(label("C:\\Users\\anna\\IMG_0042.HEIC", "image/heic"), "IMG_0042.HEIC");
        assert_eq!(label("../../etc/passwd", "image/png"), "passwd");
        assert_eq!(label("ruoka\u{0}\u{7}.jpg", "image/jpeg"), "ruoka.jpg");
        assert_eq!(label("", "image/jpeg"), "kuva.jpg");
        assert_eq!(label("..", "image/png"), "kuva.png");
    }
}
