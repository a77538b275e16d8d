//! JSON number text → exact decimal per million tokens.

use rust_decimal::Decimal;

/// A per-token price converted to a rate per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerMillion {
    /// Exact rate per 1,000,000 tokens, trailing zeros removed.
    pub value: Decimal,
    /// Whether the precision rule rounded the written value.
    pub rounded: bool,
}

/// Significant digits an `f64` carries faithfully; longer texts are float noise.
const MAX_SIGNIFICANT: usize = 15;

/// Converts the text of a per-token price (`3.625e-09`, `0.0000025`, `1e-05`)
/// into an exact rate per million tokens, by moving the decimal point six
/// places: `3.625e-09` → `0.003625`.
///
/// The precision rule: a value written with at most 15 significant digits is
/// taken exactly as written. A value with 16 or 17 significant digits is a
/// binary float printed in full (`2.9999999999999997e-06`, the result of
/// arithmetic in the tool that wrote the file); it is rounded half away from
/// zero to 15 significant digits, the precision an `f64` guarantees, then
/// trailing zeros are dropped (`2.9999999999999997e-06` → `3`). Nothing else
/// is ever rounded.
///
/// # Errors
/// Not a number, negative, or too small to represent (below 1e-28 per million).
pub fn per_million(text: &str) -> Result<PerMillion, String> {
    scaled(text, 6)
}

/// A price already written per million tokens (genai-prices' `*_mtok`),
/// under the same precision rule as [`per_million`]: `0.075` → `0.075`.
///
/// # Errors
/// As [`per_million`].
pub fn per_mtok(text: &str) -> Result<PerMillion, String> {
    scaled(text, 0)
}

/// `text × 10^shift`, exactly (see [`per_million`] for the precision rule).
fn scaled(text: &str, shift: i32) -> Result<PerMillion, String> {
    let t = text.trim();
    let bad = || format!("`{t}` is not a number");
    let body = match t.as_bytes().first() {
        Some(b'-') => {
            let rest = &t[1..];
            if rest.bytes().all(|b| b == b'0' || b == b'.') && !rest.is_empty() {
                rest
            } else {
                return Err(format!("`{t}` is negative"));
            }
        }
        Some(b'+') => &t[1..],
        _ => t,
    };
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i32>().map_err(|_| bad())?),
        None => (body, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    // value = digits × 10^(-scale), per million.
    let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    let frac_len = i32::try_from(frac.len()).map_err(|_| bad())?;
    let mut scale: i32 = frac_len - exp - shift;
    let lead = digits.iter().take_while(|&&d| d == 0).count();
    digits.drain(..lead);
    if digits.is_empty() {
        return Ok(PerMillion {
            value: Decimal::ZERO,
            rounded: false,
        });
    }
    strip_trailing_zeros(&mut digits, &mut scale);
    let mut rounded = false;
    if digits.len() > MAX_SIGNIFICANT {
        let drop = digits.len() - MAX_SIGNIFICANT;
        let up = digits[MAX_SIGNIFICANT] >= 5;
        digits.truncate(MAX_SIGNIFICANT);
        scale -= i32::try_from(drop).map_err(|_| bad())?;
        if up {
            let mut i = digits.len();
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
        strip_trailing_zeros(&mut digits, &mut scale);
        rounded = true;
    }
    let mut n: i128 = 0;
    for d in &digits {
        n = n
            .checked_mul(10)
            .and_then(|x| x.checked_add(i128::from(*d)))
            .ok_or_else(|| format!("`{t}` is too large"))?;
    }
    let value = if scale < 0 {
        let mut v = Decimal::from_i128_with_scale(n, 0);
        for _ in 0..(-scale) {
            v = v
                .checked_mul(Decimal::TEN)
                .ok_or_else(|| format!("`{t}` is too large"))?;
        }
        v
    } else {
        let s = u32::try_from(scale).map_err(|_| bad())?;
        if s > 28 {
            return Err(format!(
                "`{t}` is too small to represent per million tokens"
            ));
        }
        Decimal::try_from_i128_with_scale(n, s).map_err(|_| format!("`{t}` is too large"))?
    };
    Ok(PerMillion {
        value: value.normalize(),
        rounded,
    })
}

fn strip_trailing_zeros(digits: &mut Vec<u8>, scale: &mut i32) {
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
        *scale -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pm(s: &str) -> (String, bool) {
        let p = per_million(s).expect("number");
        (p.value.to_string(), p.rounded)
    }

    #[test]
    fn exact_texts_move_the_point_six_places() {
        assert_eq!(pm("3.625e-09"), ("0.003625".into(), false));
        assert_eq!(pm("2.5e-06"), ("2.5".into(), false));
        assert_eq!(pm("0.0000025"), ("2.5".into(), false));
        assert_eq!(pm("1e-05"), ("10".into(), false));
        assert_eq!(pm("1E-7"), ("0.1".into(), false));
        assert_eq!(pm("0.0"), ("0".into(), false));
        assert_eq!(pm("0"), ("0".into(), false));
        assert_eq!(pm("-0.0"), ("0".into(), false));
        assert_eq!(pm("1.25e-06"), ("1.25".into(), false));
        assert_eq!(pm("6e-08"), ("0.06".into(), false));
        assert_eq!(pm("0.00003"), ("30".into(), false));
        assert_eq!(pm("15"), ("15000000".into(), false));
        // 15 significant digits are kept as written.
        assert_eq!(
            pm("1.23456789012345e-06"),
            ("1.23456789012345".into(), false)
        );
    }

    #[test]
    fn float_noise_is_rounded_to_15_significant_digits() {
        assert_eq!(pm("2.9999999999999997e-06"), ("3".into(), true));
        assert_eq!(pm("1.0999999999999999e-06"), ("1.1".into(), true));
        assert_eq!(
            pm("3.3333333333333335e-07"),
            ("0.333333333333333".into(), true)
        );
        assert_eq!(pm("1.5000000000000002e-05"), ("15".into(), true));
        assert_eq!(pm("9.9999999999999995e-07"), ("1".into(), true));
    }

    proptest::proptest! {
        /// Up to 15 significant digits, any exponent a price file uses: the
        /// result is the written value × 10^6, exactly, in both notations.
        #[test]
        fn exact_for_short_texts(m in 1u64..1_000_000_000_000_000, e in -15i32..=2) {
            let expected = {
                let shift = e + 6;
                let v = if shift >= 0 {
                    Decimal::from(m) * Decimal::from(10u64.pow(shift.unsigned_abs()))
                } else {
                    Decimal::from_i128_with_scale(i128::from(m), shift.unsigned_abs())
                };
                v.normalize()
            };
            let sci = per_million(&format!("{m}e{e}")).expect("number");
            proptest::prop_assert_eq!(sci.value, expected);
            proptest::prop_assert!(!sci.rounded);
            let plain = if e >= 0 {
                Decimal::from(m) * Decimal::from(10u64.pow(e.unsigned_abs()))
            } else {
                Decimal::from_i128_with_scale(i128::from(m), e.unsigned_abs())
            };
            let p = per_million(&plain.to_string()).expect("number");
            proptest::prop_assert_eq!(p.value, expected);
        }
    }

    #[test]
    fn mtok_values_are_taken_as_written() {
        let m = |s: &str| per_mtok(s).expect("number").value.to_string();
        assert_eq!(m("0.075"), "0.075");
        assert_eq!(m("15"), "15");
        assert_eq!(m("1.375"), "1.375");
        assert_eq!(m("3.4375"), "3.4375");
        assert_eq!(m("0.30000000000000004"), "0.3");
    }

    #[test]
    fn bad_values() {
        assert!(per_million("-1").is_err());
        assert!(per_million("abc").is_err());
        assert!(per_million("1e-40").is_err());
        assert!(per_million("").is_err());
        assert!(per_million(".").is_err());
    }
}
