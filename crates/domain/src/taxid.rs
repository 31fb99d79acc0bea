//! BIN (business identification number) and IIN (individual identification number) of Kazakhstan.
//!
//! Both are 12 digits with the same check digit: Σ dᵢ·wᵢ (i = 1..11, wᵢ = 1..11) mod 11; if that is
//! 10, recompute with weights 3,4,…,11,1,2; if 10 again the number is invalid. An IIN is not rejected
//! because its first six digits are not a valid date (older IINs exist whose prefix is not a date).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxIdError {
    #[error("must be exactly 12 digits")]
    Format,
    #[error("check digit does not match")]
    Checksum,
}

/// Computes the check digit of the first 11 digits, or `None` when no valid check digit exists.
pub fn check_digit(digits: &[u8; 11]) -> Option<u8> {
    let weighted = |weights: [u32; 11]| -> u32 {
        digits
            .iter()
            .zip(weights)
            .map(|(d, w)| u32::from(*d) * w)
            .sum::<u32>()
            % 11
    };
    let first = weighted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    if first != 10 {
        return Some(first as u8);
    }
    let second = weighted([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
    if second != 10 {
        Some(second as u8)
    } else {
        None
    }
}

fn parse_12(input: &str) -> Result<[u8; 12], TaxIdError> {
    let bytes = input.as_bytes();
    if bytes.len() != 12 || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(TaxIdError::Format);
    }
    let mut digits = [0u8; 12];
    for (d, b) in digits.iter_mut().zip(bytes) {
        *d = b - b'0';
    }
    let mut head = [0u8; 11];
    head.copy_from_slice(&digits[..11]);
    match check_digit(&head) {
        Some(c) if c == digits[11] => Ok(digits),
        _ => Err(TaxIdError::Checksum),
    }
}

/// A checksum-valid BIN (also used for an IIN: the same algorithm).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bin(String);

impl Bin {
    pub fn parse(input: &str) -> Result<Self, TaxIdError> {
        parse_12(input.trim())?;
        Ok(Bin(input.trim().to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Whether the number is a BIN of an organisation (or of a joint entrepreneurship) rather than
    /// a person's IIN: a BIN's fifth digit says the kind of entity (4 a resident legal entity, 5 a
    /// non-resident, 6 a joint entrepreneurship), where an IIN has the tens of the birth day (0–3).
    pub fn is_entity(&self) -> bool {
        matches!(self.0.as_bytes().get(4), Some(b'4'..=b'6'))
    }
    /// Completes 11 digits with their check digit; `None` when no check digit exists.
    pub fn complete(first11: &str) -> Option<Self> {
        let b = first11.as_bytes();
        if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut head = [0u8; 11];
        for (d, x) in head.iter_mut().zip(b) {
            *d = x - b'0';
        }
        let c = check_digit(&head)?;
        Some(Bin(format!("{first11}{c}")))
    }
}

impl fmt::Display for Bin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IIN: same checksum as a BIN; kept as its own type because it is private personal data.
pub type Iin = Bin;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        // (input, expected)
        let cases: &[(&str, Result<(), TaxIdError>)] = &[
            ("000740001307", Ok(())),
            ("990140000384", Ok(())),
            ("990140000385", Err(TaxIdError::Checksum)),
            ("000740001308", Err(TaxIdError::Checksum)),
            ("00074000130", Err(TaxIdError::Format)),
            ("0007400013077", Err(TaxIdError::Format)),
            ("00074000130a", Err(TaxIdError::Format)),
            ("", Err(TaxIdError::Format)),
        ];
        for (input, expected) in cases {
            assert_eq!(Bin::parse(input).map(|_| ()), *expected, "{input}");
        }
        let not_a_date = Bin::complete("00134000000").expect("has a check digit");
        // An IIN whose first six digits are not a date (month 13) is still accepted.
        assert!(Bin::parse(not_a_date.as_str()).is_ok());
    }

    #[test]
    fn a_bin_is_told_from_an_iin_by_its_fifth_digit() {
        for (n, entity) in [
            ("070840003411", true),
            ("150640010236", true),
            ("180520003454", false),
            ("000740001307", true),
        ] {
            assert_eq!(Bin::parse(n).map(|b| b.is_entity()), Ok(entity), "{n}");
        }
        let person = (0..100)
            .find_map(|i| Bin::complete(&format!("850512300{i:02}")))
            .expect("an IIN of 12 May 1985");
        assert!(!person.is_entity());
    }

    #[test]
    fn second_weights_are_used() {
        // Σ dᵢ·i mod 11 = 10 for these digits, so the second weight set decides.
        let head = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0];
        assert_eq!(
            head.iter()
                .enumerate()
                .map(|(i, d)| (i as u32 + 1) * *d as u32)
                .sum::<u32>()
                % 11,
            10
        );
        assert_eq!(check_digit(&head), Some(1));
    }

    proptest! {
        #[test]
        fn completed_numbers_parse_and_any_single_digit_change_is_caught(n in 0u64..100_000_000_000u64, pos in 0usize..12, delta in 1u8..10) {
            let first11 = format!("{n:011}");
            if let Some(bin) = Bin::complete(&first11) {
                prop_assert!(Bin::parse(bin.as_str()).is_ok());
                let mut bytes = bin.as_str().as_bytes().to_vec();
                let original_first_sum_is_10 = bytes[..11].iter().enumerate().map(|(i, d)| (i as u32 + 1) * u32::from(d - b'0')).sum::<u32>() % 11 == 10;
                bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
                let first_sum = |b: &[u8]| b[..11].iter().enumerate().map(|(i, d)| (i as u32 + 1) * u32::from(d - b'0')).sum::<u32>() % 11;
                // A one-digit change moves the first weighted sum (11 is prime) except in the 11th digit, whose
                // weight 11 is 0 mod 11; so it is caught
                // unless the change lands the sum on 10 and the second weight set takes over.
                if pos == 11 || (pos != 10 && first_sum(&bytes) != 10 && !original_first_sum_is_10) {
                    let changed = String::from_utf8(bytes).expect("digits");
                    prop_assert!(Bin::parse(&changed).is_err());
                }
            }
        }
    }
}
