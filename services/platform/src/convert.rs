//! Small conversions every service needs: protobuf timestamps, today's civil
//! date in Europe/Helsinki, stored enum texts ([`text_enum!`](crate::text_enum))
//! and the stored text of the shared `ServiceLine` (one mapping for every service).

use chrono::{DateTime, NaiveDate, Utc};
use kumppani_proto::pbjson_types::Timestamp;

/// An instant as a protobuf timestamp.
pub fn timestamp(t: DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp { seconds: t.timestamp(), nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0) })
}

/// Today as a civil date in Europe/Helsinki (service days, deadlines).
pub fn today_helsinki() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Europe::Helsinki).date_naive()
}

/// Maps a proto enum to the text stored in the database and back:
/// `text_enum!(status_text, status_from, pb::Status, { Draft => "draft", ... });`
#[macro_export]
macro_rules! text_enum {
    ($to:ident, $from:ident, $proto:ty, { $($variant:ident => $text:literal),* $(,)? }) => {
        /// The stored text of a proto enum value; `None` for UNSPECIFIED or unknown numbers.
        pub fn $to(v: i32) -> Option<&'static str> {
            match <$proto>::try_from(v).ok()? { $(<$proto>::$variant => Some($text),)* _ => None }
        }
        /// The proto enum value of a stored text.
        pub fn $from(s: &str) -> i32 {
            (match s { $($text => <$proto>::$variant,)* _ => <$proto>::Unspecified }) as i32
        }
    };
}

text_enum!(service_line_text, service_line_from, kumppani_proto::r#type::v1::ServiceLine, {
    Meals => "meals", Cleaning => "cleaning", MultiService => "multi_service", StaffDining => "staff_dining",
    Coffee => "coffee", Development => "development",
});

#[cfg(test)]
mod tests {
    use super::*;
    use kumppani_proto::r#type::v1::ServiceLine;

    #[test]
    fn every_service_line_has_one_stored_text_and_back() {
        for line in [
            ServiceLine::Meals,
            ServiceLine::Cleaning,
            ServiceLine::MultiService,
            ServiceLine::StaffDining,
            ServiceLine::Coffee,
            ServiceLine::Development,
        ] {
            let text = service_line_text(line as i32).unwrap_or_default();
            assert_eq!(service_line_from(text), line as i32, "{text}");
        }
        assert_eq!(service_line_text(0), None);
        assert_eq!(service_line_from("soup"), 0);
    }
}
