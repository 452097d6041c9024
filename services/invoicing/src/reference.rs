//! Reference numbers of invoices (placeholder until the e-invoice crate lands).

/// The Finnish reference (7-3-1 check digit) and its RF form of a digit string.
pub fn both(base: &str) -> (String, String) {
    let weights = [7u32, 3, 1];
    let sum: u32 = base.chars().rev().filter_map(|c| c.to_digit(10)).enumerate().map(|(i, d)| d * weights[i % 3]).sum();
    let finnish = format!("{base}{}", (10 - sum % 10) % 10);
    let digits: String = format!("{finnish}271500");
    let rem = digits.chars().filter_map(|c| c.to_digit(10)).fold(0u64, |acc, d| (acc * 10 + u64::from(d)) % 97);
    (finnish.clone(), format!("RF{:02}{finnish}", 98 - rem))
}
