//! Booking refused: overlaps and hours outside the professional's working day.

use atendebem_e2e::{Replica, assert_portuguese, local_rfc3339, next, strs};
use jiff::civil::Weekday;

#[test]
fn agenda_refuses_overlaps_and_hours_outside_the_working_day() {
    let replica = Replica::init();
    let patient = replica.add_patient("Carlos Andrade", None);
    let other_patient = replica.add_patient("Denise Prado", None);
    let (professional, _) = replica.add_professional("Dr. Paulo Reis", "CRM/SP 654321");
    let monday = next(Weekday::Monday);
    let book = |patient: &str, start: &str, minutes: &str| -> Vec<String> {
        [
            "agenda",
            "book",
            "--professional",
            &professional,
            "--patient",
            patient,
            "--start",
            start,
            "--minutes",
            minutes,
        ]
        .iter()
        .map(ToString::to_string)
        .collect()
    };

    let ten = local_rfc3339(monday, 10, 0);
    replica.json(&strs(&book(&patient, &ten, "30")));

    // Same slot, and a slot that only partly overlaps: agenda.overlap.
    for (who, start, minutes) in [
        (&other_patient, ten.clone(), "30"),
        (&other_patient, local_rfc3339(monday, 10, 15), "30"),
        (&patient, local_rfc3339(monday, 9, 45), "20"),
    ] {
        let failure = replica.fail(&strs(&book(who, &start, minutes)));
        assert_eq!(
            failure.code, "agenda.overlap",
            "{start} +{minutes}min: {failure:?}"
        );
        assert!(
            failure.message.contains("coincide com outro agendamento"),
            "{}",
            failure.message
        );
        assert_portuguese(&failure.message);
    }
    // Back to back is not an overlap.
    replica.json(&strs(&book(&other_patient, &local_rfc3339(monday, 10, 30), "30")));

    // Outside the default hours (Mon–Fri 08:00–18:00): Sunday, 22:00, 07:30, running past 18:00.
    let sunday = next(Weekday::Sunday);
    let saturday = next(Weekday::Saturday);
    for (start, minutes) in [
        (local_rfc3339(sunday, 10, 0), "30"),
        (local_rfc3339(saturday, 10, 0), "30"),
        (local_rfc3339(monday, 22, 0), "30"),
        (local_rfc3339(monday, 7, 30), "30"),
        (local_rfc3339(monday, 17, 45), "30"),
    ] {
        let failure = replica.fail(&strs(&book(&patient, &start, minutes)));
        assert_eq!(
            failure.code, "agenda.outside_working_hours",
            "{start}: {failure:?}"
        );
        assert!(
            failure.message.contains("fora do expediente"),
            "{}",
            failure.message
        );
    }
    // A start that is not RFC 3339.
    let failure = replica.fail(&strs(&book(&patient, "segunda às 10h", "30")));
    assert_eq!(failure.code, "time.invalid");
    assert_portuguese(&failure.message);

    // The day still lists exactly the two accepted appointments.
    let items = replica.json(&["agenda", "list", "--day", &monday.to_string(), "--json"]);
    let starts: Vec<&str> = items
        .as_array()
        .expect("lista")
        .iter()
        .filter_map(|i| i["local_start"].as_str())
        .collect();
    assert_eq!(starts, ["10:00", "10:30"]);
    assert_eq!(replica.status()["appointments"], 2);
    assert!(
        replica
            .json(&["agenda", "conflicts", "--day", &monday.to_string()])
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}
