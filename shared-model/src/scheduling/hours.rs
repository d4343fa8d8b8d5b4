//! A professional's working hours: weekly rules in local wall-clock time plus per-date
//! exceptions, interpreted in the clinic's time zone (NGS1.09.06: zone per institution).

use autosurgeon::{Hydrate, Reconcile};
use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Serialize};

use super::SchedulingError;
use crate::values::ClinicTimeZone;

/// When a professional attends, week by week, with exceptions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct WorkingHours {
    pub weekly: Vec<WeeklyRule>,
    /// At most one per date; it replaces the weekly rules of that date.
    pub exceptions: Vec<HoursException>,
}

/// "Every `weekday`, from `start` to `end` (local time), in `room`".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct WeeklyRule {
    #[autosurgeon(with = "crate::documents::codec::weekday")]
    #[serde(with = "crate::documents::codec::weekday")]
    pub weekday: Weekday,
    #[autosurgeon(with = "crate::documents::codec::time")]
    pub start: Time,
    #[autosurgeon(with = "crate::documents::codec::time")]
    pub end: Time,
    pub room: Option<String>,
}

/// Different hours on one date: no periods = the whole day is blocked (holiday, congress).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct HoursException {
    #[key]
    #[autosurgeon(with = "crate::documents::codec::date")]
    pub date: Date,
    pub periods: Vec<Period>,
    pub reason: Option<String>,
}

/// A stretch of local time within one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Period {
    #[autosurgeon(with = "crate::documents::codec::time")]
    pub start: Time,
    #[autosurgeon(with = "crate::documents::codec::time")]
    pub end: Time,
}

impl WorkingHours {
    /// Checks every rule and period has `start < end` and dates are not repeated.
    pub fn validate(&self) -> Result<(), SchedulingError> {
        let periods = self.weekly.iter().map(|r| (r.start, r.end)).chain(
            self.exceptions
                .iter()
                .flat_map(|e| e.periods.iter().map(|p| (p.start, p.end))),
        );
        for (start, end) in periods {
            if start >= end {
                return Err(SchedulingError::InvalidWorkingHours {
                    reason: "o fim de um período deve ser depois do início",
                });
            }
        }
        for (i, exception) in self.exceptions.iter().enumerate() {
            if self.exceptions[..i].iter().any(|e| e.date == exception.date) {
                return Err(SchedulingError::InvalidWorkingHours {
                    reason: "há duas exceções para a mesma data",
                });
            }
        }
        Ok(())
    }

    /// The periods worked on `date`: the exception's if there is one, else the weekly rules'.
    #[must_use]
    pub fn periods_on(&self, date: Date) -> Vec<Period> {
        if let Some(exception) = self.exceptions.iter().find(|e| e.date == date) {
            return exception.periods.clone();
        }
        self.weekly
            .iter()
            .filter(|rule| rule.weekday == date.weekday())
            .map(|rule| Period {
                start: rule.start,
                end: rule.end,
            })
            .collect()
    }
}

/// Checks that `[start, end)` falls inside one working period of a single local day in `tz`.
pub fn check_within_working_hours(
    hours: &WorkingHours,
    tz: &ClinicTimeZone,
    start: Timestamp,
    end: Timestamp,
) -> Result<(), SchedulingError> {
    let local_start = tz.to_local(start);
    let local_end = tz.to_local(end);
    if local_start.date() != local_end.date() {
        return Err(SchedulingError::OutsideWorkingHours);
    }
    let fits = hours
        .periods_on(local_start.date())
        .iter()
        .any(|p| p.start <= local_start.time() && local_end.time() <= p.end);
    if fits {
        Ok(())
    } else {
        Err(SchedulingError::OutsideWorkingHours)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scheduling::appointment::tests::at;
    use jiff::civil::time;
    use rstest::rstest;

    pub(crate) fn sao_paulo() -> ClinicTimeZone {
        ClinicTimeZone::parse("America/Sao_Paulo").unwrap()
    }

    /// Mondays 08:00–12:00 and 14:00–18:00; 2026-12-07 (a Monday) blocked; 2026-12-14 only 10–11.
    pub(crate) fn hours() -> WorkingHours {
        let rule = |start, end| WeeklyRule {
            weekday: Weekday::Monday,
            start,
            end,
            room: Some("Sala 1".into()),
        };
        WorkingHours {
            weekly: vec![
                rule(time(8, 0, 0, 0), time(12, 0, 0, 0)),
                rule(time(14, 0, 0, 0), time(18, 0, 0, 0)),
            ],
            exceptions: vec![
                HoursException {
                    date: jiff::civil::date(2026, 12, 7),
                    periods: vec![],
                    reason: Some("Congresso".into()),
                },
                HoursException {
                    date: jiff::civil::date(2026, 12, 14),
                    periods: vec![Period {
                        start: time(10, 0, 0, 0),
                        end: time(11, 0, 0, 0),
                    }],
                    reason: None,
                },
            ],
        }
    }

    fn days_later(ts: Timestamp, days: i64) -> Timestamp {
        ts.checked_add(jiff::SignedDuration::from_hours(24 * days))
            .unwrap()
    }

    #[rstest]
    #[case::morning((8, 0), (8, 30), 0, true)]
    #[case::end_of_morning((11, 30), (12, 0), 0, true)]
    #[case::lunch((12, 0), (12, 30), 0, false)]
    #[case::across_lunch((11, 30), (14, 30), 0, false)]
    #[case::too_early((7, 30), (8, 30), 0, false)]
    #[case::tuesday((9, 0), (9, 30), 1, false)]
    #[case::blocked_date((9, 0), (9, 30), 7, false)]
    #[case::exception_hours((10, 0), (10, 30), 14, true)]
    #[case::outside_exception((9, 0), (9, 30), 14, false)]
    fn working_hours_table(
        #[case] start: (i8, i8),
        #[case] end: (i8, i8),
        #[case] days: i64,
        #[case] ok: bool,
    ) {
        let start = days_later(at(start.0, start.1), days);
        let end = days_later(at(end.0, end.1), days);
        let result = check_within_working_hours(&hours(), &sao_paulo(), start, end);
        assert_eq!(result.is_ok(), ok, "{result:?}");
    }

    #[test]
    fn validate_rejects_inverted_periods_and_repeated_dates() {
        assert_eq!(hours().validate(), Ok(()));
        let mut bad = hours();
        bad.weekly[0].end = bad.weekly[0].start;
        assert!(bad.validate().is_err());
        let mut bad = hours();
        bad.exceptions.push(bad.exceptions[0].clone());
        assert!(bad.validate().is_err());
    }
}
