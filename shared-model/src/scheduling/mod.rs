//! Agendas, appointments and working hours (the scheduling area).
//!
//! **Invariant:** an appointment booked through [`check_can_book`] lasts 5 min – 8 h, lies inside
//! its professional's working hours (in the clinic's time zone) and overlaps no *active*
//! appointment of the same professional. Offline replicas can still book the same slot
//! concurrently; after a merge [`find_overlaps`] reports those pairs for people to resolve.
//! Instants are UTC `jiff::Timestamp`s; working hours are local wall-clock times.

mod appointment;
mod booking;
mod error;
mod hours;
mod status;

pub use appointment::{Appointment, AppointmentKind, NewAppointment, Payer, transition};
pub use booking::{MAX_DURATION, MIN_DURATION, check_can_book, check_duration, find_overlaps};
pub use error::SchedulingError;
pub use hours::{HoursException, Period, WeeklyRule, WorkingHours, check_within_working_hours};
pub use status::AppointmentStatus;
