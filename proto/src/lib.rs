//! Generated protobuf and gRPC code of Kumppani. The `.proto` files in this
//! crate's `kumppani/` folder are the contract; breaking changes need a `v2`.
//! Every message also has proto3-JSON serde impls (pbjson): the REST API's
//! bodies are the canonical JSON mapping of these messages.
#![allow(clippy::all, clippy::pedantic, missing_docs)]

/// Descriptor set of every Kumppani proto, for gRPC reflection and the OpenAPI document.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kumppani_descriptor.bin"));

pub use pbjson_types;

pub mod events {
    pub mod v1 {
        tonic::include_proto!("kumppani.events.v1");
        include!(concat!(env!("OUT_DIR"), "/kumppani.events.v1.serde.rs"));
    }
}

pub mod contracts {
    pub mod v1 {
        tonic::include_proto!("kumppani.contracts.v1");
        include!(concat!(env!("OUT_DIR"), "/kumppani.contracts.v1.serde.rs"));
    }
}

pub mod pricing {
    pub mod v1 {
        tonic::include_proto!("kumppani.pricing.v1");
        include!(concat!(env!("OUT_DIR"), "/kumppani.pricing.v1.serde.rs"));
    }
}

pub mod ordering {
    pub mod v1 {
        tonic::include_proto!("kumppani.ordering.v1");
        include!(concat!(env!("OUT_DIR"), "/kumppani.ordering.v1.serde.rs"));
    }
}
