//! Small conversions every service needs: protobuf timestamps, today's civil
//! date in Europe/Helsinki, and stored enum texts ([`text_enum!`](crate::text_enum)).

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
