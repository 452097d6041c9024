//! The one id scheme of demo data: UUIDv5 of `kind:code` in one namespace.
//! Every demo entity (customer, site, price list, override, ...) gets its id
//! here, so any part of the demo (and any test) can name it without a lookup.

use uuid::Uuid;

const NAMESPACE: Uuid = Uuid::from_u128(0x6b75_6d70_7061_6e69_8000_0000_0000_0001);

/// The stable id of a demo entity (`kind` + its demo code).
pub fn demo_id(kind: &str, code: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{kind}:{code}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct_per_kind() {
        assert_eq!(demo_id("site", "PK-001"), demo_id("site", "PK-001"));
        assert_ne!(demo_id("site", "X"), demo_id("customer", "X"));
    }
}
