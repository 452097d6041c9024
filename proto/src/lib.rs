//! Generated protobuf and gRPC code of Kumppani. The `.proto` files in this
//! crate's `kumppani/` folder are the contract; breaking changes need a `v2`.
//! Every message also has proto3-JSON serde impls (pbjson): the REST API's
//! bodies are the canonical JSON mapping of these messages.
//!
//! Types used by more than one service live in `kumppani.type.v1`
//! ([`r#type::v1`]); each service module re-exports them, so `pb::Date` is the
//! one shared `Date` whichever service's `pb` a caller imports.
#![allow(clippy::all, clippy::pedantic, missing_docs)]

/// Descriptor set of every Kumppani proto, for gRPC reflection and the OpenAPI document.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kumppani_descriptor.bin"));

pub use pbjson_types;

/// The message-size limits every generated gRPC server takes, as one trait so
/// the platform's service runtime can apply the configured limit to any service.
pub trait MessageLimits {
    /// Sets the largest message the server decodes and encodes.
    fn with_message_limit(self, bytes: usize) -> Self;
}

macro_rules! message_limits {
    ($($server:path),* $(,)?) => {
        $(impl<T> MessageLimits for $server {
            fn with_message_limit(self, bytes: usize) -> Self {
                self.max_decoding_message_size(bytes).max_encoding_message_size(bytes)
            }
        })*
    };
}

message_limits!(
    contracts::v1::contracts_service_server::ContractsServiceServer<T>,
    contracts::v1::partnership_service_server::PartnershipServiceServer<T>,
    pricing::v1::pricing_service_server::PricingServiceServer<T>,
    ordering::v1::ordering_service_server::OrderingServiceServer<T>,
    invoicing::v1::invoicing_service_server::InvoicingServiceServer<T>,
    feedback::v1::feedback_service_server::FeedbackServiceServer<T>,
);

pub mod r#type {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/kumppani.r#type.v1.rs"));
        include!(concat!(env!("OUT_DIR"), "/kumppani.r#type.v1.serde.rs"));

        impl Date {
            /// The proto form of a civil date.
            pub fn from_naive(d: chrono::NaiveDate) -> Self {
                use chrono::Datelike;
                Self { year: d.year(), month: d.month() as i32, day: d.day() as i32 }
            }
            /// The civil date, or `None` when the fields do not name a real day.
            pub fn to_naive(&self) -> Option<chrono::NaiveDate> {
                chrono::NaiveDate::from_ymd_opt(self.year, u32::try_from(self.month).ok()?, u32::try_from(self.day).ok()?)
            }
        }

        impl From<chrono::NaiveDate> for Date {
            fn from(d: chrono::NaiveDate) -> Self {
                Self::from_naive(d)
            }
        }

        /// In JSON (the REST API) a date is an ISO 8601 calendar date string,
        /// `"2027-02-01"`, in bodies and query parameters alike.
        impl serde::Serialize for Date {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&format_args!("{:04}-{:02}-{:02}", self.year, self.month, self.day))
            }
        }

        impl<'de> serde::Deserialize<'de> for Date {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Iso;
                impl serde::de::Visitor<'_> for Iso {
                    type Value = Date;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("an ISO 8601 date string YYYY-MM-DD, e.g. \"2027-02-01\"")
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
                        Date::parse_iso(v).ok_or_else(|| {
                            E::custom(format_args!("{v:?} is not a valid date: expected an ISO 8601 date YYYY-MM-DD, e.g. \"2027-02-01\""))
                        })
                    }
                }
                deserializer.deserialize_str(Iso)
            }
        }

        impl Date {
            /// Parses exactly `YYYY-MM-DD` naming a real day.
            pub fn parse_iso(s: &str) -> Option<Self> {
                let b = s.as_bytes();
                let shape = b.len() == 10
                    && b[4] == b'-'
                    && b[7] == b'-'
                    && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
                if !shape {
                    return None;
                }
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(Self::from_naive)
            }
        }

        #[cfg(test)]
        #[allow(clippy::unwrap_used)]
        mod tests {
            use super::Date;

            #[test]
            fn dates_are_iso_strings_in_json() {
                let d = Date { year: 2027, month: 2, day: 1 };
                assert_eq!(serde_json::to_string(&d).unwrap(), "\"2027-02-01\"");
                assert_eq!(serde_json::from_str::<Date>("\"2027-02-01\"").unwrap(), d);
                for bad in ["\"2027-02-30\"", "\"2027-2-1\"", "\"01.02.2027\"", "\"\"", "{\"year\":2027,\"month\":2,\"day\":1}", "20270201"]
                {
                    let e = serde_json::from_str::<Date>(bad).unwrap_err().to_string();
                    assert!(e.contains("YYYY-MM-DD"), "{bad}: {e}");
                }
            }
        }
    }
}

pub mod events {
    pub mod v1 {
        tonic::include_proto!("kumppani.events.v1");
        include!(concat!(env!("OUT_DIR"), "/kumppani.events.v1.serde.rs"));
    }
}

pub mod contracts {
    pub mod v1 {
        pub use crate::r#type::v1::{Date, ServiceLine};
        tonic::include_proto!("kumppani.contracts.v1");
        include!(concat!(env!("OUT_DIR"), "/kumppani.contracts.v1.serde.rs"));
    }
}

pub mod pricing {
    pub mod v1 {
        pub use crate::r#type::v1::{Date, ServiceLine};
        tonic::include_proto!("kumppani.pricing.v1");
        include!(concat!(env!("OUT_DIR"), "/kumppani.pricing.v1.serde.rs"));
    }
}

pub mod ordering {
    pub mod v1 {
        pub use crate::r#type::v1::Date;
        tonic::include_proto!("kumppani.ordering.v1");
        include!(concat!(env!("OUT_DIR"), "/kumppani.ordering.v1.serde.rs"));
    }
}

pub mod invoicing {
    pub mod v1 {
        pub use crate::r#type::v1::Date;
        tonic::include_proto!("kumppani.invoicing.v1");
        include!(concat!(env!("OUT_DIR"), "/kumppani.invoicing.v1.serde.rs"));
    }
}

pub mod feedback {
    pub mod v1 {
        pub use crate::r#type::v1::Date;
        tonic::include_proto!("kumppani.feedback.v1");
        include!(concat!(env!("OUT_DIR"), "/kumppani.feedback.v1.serde.rs"));
    }
}
