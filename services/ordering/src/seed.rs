//! Demo orders (to come).
pub fn _placeholder() {}
