//! Brazilian documents and the clinic's calendar.

use jiff::civil::{Date, Weekday};

use crate::CLINIC_ZONE;

/// A valid CPF (11 digits) from 9 base digits: computes the two check digits (mod 11).
pub fn cpf_from_base(base: [u8; 9]) -> String {
    let mut digits: Vec<u32> = base.iter().map(|&d| u32::from(d % 10)).collect();
    for len in [9usize, 10] {
        let sum: u32 = digits
            .iter()
            .zip((2..=u32::try_from(len + 1).unwrap()).rev())
            .map(|(d, w)| d * w)
            .sum();
        let rest = sum * 10 % 11;
        digits.push(if rest == 10 { 0 } else { rest });
    }
    digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect()
}

/// `DDD.DDD.DDD-DD`.
pub fn format_cpf(digits: &str) -> String {
    format!(
        "{}.{}.{}-{}",
        &digits[0..3],
        &digits[3..6],
        &digits[6..9],
        &digits[9..11]
    )
}

/// Today in the clinic's zone.
pub fn today() -> Date {
    jiff::Zoned::now()
        .in_tz(CLINIC_ZONE)
        .expect("fuso da clínica")
        .date()
}

/// The first `weekday` strictly after today (clinic zone).
pub fn next(weekday: Weekday) -> Date {
    today().nth_weekday(1, weekday).expect("próximo dia da semana")
}

/// RFC 3339 with the clinic's offset, e.g. `2026-12-07T10:00:00-03:00`.
pub fn local_rfc3339(day: Date, hour: i8, minute: i8) -> String {
    let zoned = day
        .at(hour, minute, 0, 0)
        .in_tz(CLINIC_ZONE)
        .expect("hora local válida");
    zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}
