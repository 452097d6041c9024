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
    pricing::v1::pricing_service_server::PricingServiceServer<T>,
    ordering::v1::ordering_service_server::OrderingServiceServer<T>,
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
