use super::*;
use crate::ErrorCode;
use jiff::civil::{date, datetime};
use proptest::prelude::*;
use rstest::rstest;

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[rstest]
#[case("2026-03-01", date(2026, 3, 1))]
#[case("01/03/2026", date(2026, 3, 1))]
#[case("1/3/2026", date(2026, 3, 1))]
#[case(" 31/12/2026 ", date(2026, 12, 31))]
#[case("2024-02-29", date(2024, 2, 29))]
#[case("29/02/2024", date(2024, 2, 29))]
fn parses_dates(#[case] input: &str, #[case] expected: Date) {
    assert_eq!(parse_date_br_or_iso(input).unwrap(), expected);
}

#[rstest]
#[case("2026-02-30", "date.invalid")]
#[case("30/02/2026", "date.invalid")]
#[case("29/02/2026", "date.invalid")]
#[case("2026-13-01", "date.invalid")]
#[case("00/01/2026", "date.invalid")]
#[case("", "date.format")]
#[case("2026/03", "date.format")]
#[case("01/03/26", "date.format")]
#[case("2026-03-01T10:00", "date.format")]
#[case("01-03/2026", "date.format")]
#[case("primeiro de março", "date.format")]
fn rejects_dates(#[case] input: &str, #[case] code: &str) {
    assert_eq!(parse_date_br_or_iso(input).unwrap_err().code(), code);
}

/// NGS1.09.02 (UTC storage), NGS1.09.04 (dd/mm/aaaa, hh:mm), NGS1.09.05 (zone per institution).
#[rstest]
#[case("America/Sao_Paulo", "29/11/2026 12:00", "12:00")]
#[case("America/Manaus", "29/11/2026 11:00", "11:00")]
#[case("America/Noronha", "29/11/2026 13:00", "13:00")]
#[case("America/Rio_Branco", "29/11/2026 10:00", "10:00")]
fn formats_in_clinic_zone(#[case] zone: &str, #[case] datetime: &str, #[case] time: &str) {
    let tz = ClinicTimeZone::parse(zone).unwrap();
    let instant = ts("2026-11-29T15:00:00Z");
    assert_eq!(tz.format_datetime(instant), datetime);
    assert_eq!(tz.format_date(instant), "29/11/2026");
    assert_eq!(tz.format_time(instant), time);
}

/// NGS1.09.02, NGS1.09.05: the local wall-clock time maps back to the stored UTC instant.
#[test]
fn local_time_round_trips_to_utc() {
    let tz = ClinicTimeZone::default_brazil();
    assert_eq!(tz.as_str(), "America/Sao_Paulo");
    let local = datetime(2026, 11, 29, 12, 0, 0, 0);
    let instant = tz.local_to_timestamp(local).unwrap();
    assert_eq!(instant, ts("2026-11-29T15:00:00Z"));
    assert_eq!(tz.to_local(instant), local);
}

/// NGS1.09.05: São Paulo still had daylight saving time in 2018–2019.
#[test]
fn dst_gap_is_an_error_and_fold_takes_the_first() {
    let tz = ClinicTimeZone::parse("America/Sao_Paulo").unwrap();
    let err = tz
        .local_to_timestamp(datetime(2018, 11, 4, 0, 30, 0, 0))
        .unwrap_err();
    assert_eq!(err.code(), "time.nonexistent_local");
    let repeated = tz
        .local_to_timestamp(datetime(2019, 2, 16, 23, 30, 0, 0))
        .unwrap();
    assert_eq!(repeated, ts("2019-02-17T01:30:00Z"));
}

#[rstest]
#[case("America/Atlantis")]
#[case("")]
#[case("Etc/Unknown")]
#[case("+03:00")]
fn rejects_unknown_zones(#[case] input: &str) {
    let err = ClinicTimeZone::parse(input).unwrap_err();
    assert_eq!(err.code(), "timezone.unknown");
}

#[test]
fn zone_names_are_canonicalised_and_serialised() {
    let tz = ClinicTimeZone::parse(" america/sao_paulo ").unwrap();
    assert_eq!(tz.as_str(), "America/Sao_Paulo");
    assert_eq!(tz, ClinicTimeZone::default_brazil());
    let json = serde_json::to_string(&tz).unwrap();
    assert_eq!(json, "\"America/Sao_Paulo\"");
    assert_eq!(serde_json::from_str::<ClinicTimeZone>(&json).unwrap(), tz);
    assert!(serde_json::from_str::<ClinicTimeZone>("\"Mars/Olympus\"").is_err());
}

#[rstest]
#[case(date(2000, 2, 29), date(2001, 2, 28), (0, 11))]
#[case(date(2000, 2, 29), date(2001, 3, 1), (1, 0))]
#[case(date(1990, 5, 15), date(2026, 5, 14), (35, 11))]
#[case(date(1990, 5, 15), date(2026, 5, 15), (36, 0))]
#[case(date(2026, 1, 31), date(2026, 2, 28), (0, 0))]
#[case(date(2026, 1, 31), date(2026, 3, 1), (0, 1))]
#[case(date(2026, 3, 1), date(2026, 3, 1), (0, 0))]
#[case(date(2026, 3, 1), date(2025, 3, 1), (0, 0))]
fn age_in_years_and_months(#[case] birth: Date, #[case] today: Date, #[case] age: (u16, u8)) {
    let birth = BirthDate::new(birth, birth).unwrap();
    assert_eq!(birth.age_on(today), age);
}

#[rstest]
#[case("2026-03-02", "birth_date.future")]
#[case("31/12/1899", "birth_date.before_1900")]
#[case("30/02/2000", "date.invalid")]
fn rejects_birth_dates(#[case] input: &str, #[case] code: &str) {
    let today = date(2026, 3, 1);
    assert_eq!(BirthDate::parse(input, today).unwrap_err().code(), code);
}

#[test]
fn birth_date_forms_and_serde() {
    let birth = BirthDate::parse("15/05/1990", date(2026, 3, 1)).unwrap();
    assert_eq!(birth.date(), date(1990, 5, 15));
    assert_eq!(birth.to_string(), "15/05/1990");
    assert_eq!(birth.to_iso_string(), "1990-05-15");
    let json = serde_json::to_string(&birth).unwrap();
    assert_eq!(json, "\"1990-05-15\"");
    assert_eq!(serde_json::from_str::<BirthDate>(&json).unwrap(), birth);
    assert!(serde_json::from_str::<BirthDate>("\"1899-12-31\"").is_err());
    assert!(serde_json::from_str::<BirthDate>("\"1990-02-30\"").is_err());
}

#[test]
fn automerge_round_trip() {
    use automerge::{AutoCommit, ROOT};
    #[derive(Debug, PartialEq, autosurgeon::Reconcile, autosurgeon::Hydrate)]
    struct Clinic {
        zone: ClinicTimeZone,
        founder_birth: BirthDate,
    }
    let clinic = Clinic {
        zone: ClinicTimeZone::parse("America/Manaus").unwrap(),
        founder_birth: BirthDate::new(date(1970, 1, 31), date(2026, 1, 1)).unwrap(),
    };
    let mut doc = AutoCommit::new();
    autosurgeon::reconcile(&mut doc, &clinic).unwrap();
    let stored: String = autosurgeon::hydrate_prop(&doc, ROOT, "founder_birth").unwrap();
    assert_eq!(stored, "1970-01-31");
    assert_eq!(autosurgeon::hydrate::<_, Clinic>(&doc).unwrap(), clinic);
}

proptest! {
    #[test]
    fn dates_round_trip_in_both_formats(y in 1900i16..=2100, m in 1i8..=12, d in 1i8..=28) {
        let day = date(y, m, d);
        prop_assert_eq!(parse_date_br_or_iso(&day.to_string()).unwrap(), day);
        let br = day.strftime("%d/%m/%Y").to_string();
        prop_assert_eq!(parse_date_br_or_iso(&br).unwrap(), day);
        let birth = BirthDate::new(day, date(2100, 12, 31)).unwrap();
        prop_assert_eq!(BirthDate::parse(&birth.to_string(), date(2100, 12, 31)).unwrap(), birth);
    }

    /// NGS1.09.02: any UTC instant survives local display and conversion back (no DST today).
    #[test]
    fn instants_survive_local_round_trip(secs in 1_600_000_000i64..4_000_000_000) {
        let tz = ClinicTimeZone::default_brazil();
        let instant = Timestamp::from_second(secs).unwrap();
        prop_assert_eq!(tz.local_to_timestamp(tz.to_local(instant)).unwrap(), instant);
    }
}
