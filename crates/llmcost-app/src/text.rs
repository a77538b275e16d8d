//! Words and figures shared by every front end's output: thousands
//! separators and instants as tables and messages show them.

use llmcost_core::Timestamp;

/// Formats an integer with thousands separators: `1,022,407`.
pub fn int(n: impl Into<u128>) -> String {
    let s = n.into().to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// An instant in UTC, seconds dropped when zero: `2025-03-10 18:00 UTC`.
pub fn when(t: Timestamp) -> String {
    let s = t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
    s.replace(":00 UTC", " UTC")
}

/// The start of a price row: [`when`], or "(start not recorded)" for a row whose source gives
/// none (breadth and imported rows are stored from 1970-01-01).
pub fn since(t: Timestamp) -> String {
    if t == Timestamp::UNIX_EPOCH {
        "(start not recorded)".to_string()
    } else {
        when(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(int(0_u64), "0");
        assert_eq!(int(946_816_u64), "946,816");
        assert_eq!(int(1_022_407_u64), "1,022,407");
        // Totals of u64 buckets are u128: 3 × (2^64 − 1).
        assert_eq!(int(3 * u128::from(u64::MAX)), "55,340,232,221,128,654,845");
    }
}
