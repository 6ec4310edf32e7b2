//! Study hours (学时) per person and per unit in a year, from the study records: the minutes
//! of each session a person attended, plus the stated hours of each assigned document they
//! finished (the library's reading progress at its last page) among those due that year.

use crate::study::{self, Assignment, Session};
use gov_core::Unit;
use platform::AppState;
use platform::web::AppResult;
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct PersonHours {
    pub user_id: i64,
    pub display_name: String,
    pub sessions: i64,
    pub session_minutes: i64,
    pub readings_finished: i64,
    pub reading_hours: f64,
    pub hours: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnitHours {
    pub unit_id: i64,
    pub unit_name: String,
    pub year: i64,
    /// Everyone with hours or on the staff now, most hours first.
    pub people: Vec<PersonHours>,
    pub total_hours: f64,
    /// Staff of the unit now (any role on the unit itself).
    pub staff: i64,
    /// Total hours per staff member (none without staff): the indicator's value.
    pub per_person: Option<f64>,
    pub sessions: Vec<Session>,
    pub assignments: Vec<Assignment>,
}

/// Hours to one decimal.
pub fn tenth(h: f64) -> f64 {
    (h * 10.0).round() / 10.0
}

fn add<'a>(people: &'a mut Vec<PersonHours>, id: i64, name: &str) -> &'a mut PersonHours {
    let i = match people.iter().position(|p| p.user_id == id) {
        Some(i) => i,
        None => {
            people.push(PersonHours {
                user_id: id,
                display_name: name.to_string(),
                ..PersonHours::default()
            });
            people.len() - 1
        }
    };
    &mut people[i]
}

/// Adds sessions and assignments up per person (only `only`'s when given).
fn tally(sessions: &[Session], assignments: &[Assignment], only: Option<i64>) -> Vec<PersonHours> {
    let mut people = Vec::new();
    for s in sessions {
        for a in s
            .attendance
            .iter()
            .filter(|a| only.is_none_or(|u| u == a.user_id))
        {
            let p = add(&mut people, a.user_id, &a.display_name);
            p.sessions += 1;
            p.session_minutes += s.minutes;
        }
    }
    for a in assignments
        .iter()
        .filter(|a| a.finished && only.is_none_or(|u| u == a.user_id))
    {
        let p = add(&mut people, a.user_id, &a.display_name);
        p.readings_finished += 1;
        p.reading_hours += a.hours;
    }
    for p in &mut people {
        p.hours = tenth(p.session_minutes as f64 / 60.0 + p.reading_hours);
    }
    people
}

/// A unit's hours in `year` (the caller has checked the viewer may read them).
pub async fn unit_hours(state: &AppState, unit: &Unit, year: i64) -> AppResult<UnitHours> {
    let sessions = study::year_sessions(state, year, Some(unit.id.0)).await?;
    let assignments = study::assignments(state, year, Some(unit.id.0), None).await?;
    let mut people = tally(&sessions, &assignments, None);
    let staff = study::staff(state, unit).await?;
    for (id, name) in &staff {
        add(&mut people, *id, name);
    }
    people.sort_by(|a, b| {
        b.hours
            .total_cmp(&a.hours)
            .then(a.display_name.cmp(&b.display_name))
    });
    let total = tenth(
        people
            .iter()
            .map(|p| p.session_minutes as f64 / 60.0 + p.reading_hours)
            .sum(),
    );
    Ok(UnitHours {
        unit_id: unit.id.0,
        unit_name: unit.name.clone(),
        year,
        total_hours: total,
        staff: staff.len() as i64,
        per_person: (!staff.is_empty()).then(|| tenth(total / staff.len() as f64)),
        people,
        sessions,
        assignments,
    })
}

impl UnitHours {
    /// The records the hours counted: each attended session's page and each finished
    /// reading's row on the unit's hours page.
    pub fn sources(&self) -> Vec<String> {
        let sessions = self
            .sessions
            .iter()
            .filter(|s| !s.attendance.is_empty())
            .map(|s| format!("/study/sessions/{}", s.id));
        let readings = self.assignments.iter().filter(|a| a.finished).map(|a| {
            format!(
                "/study/units/{}?year={}#assignment-{}",
                self.unit_id, self.year, a.id
            )
        });
        sessions.chain(readings).collect()
    }
}

/// One person's hours in `year` over every unit, with the sessions they attended and the
/// reading assigned to them.
pub async fn my_hours(
    state: &AppState,
    user: i64,
    year: i64,
) -> AppResult<(PersonHours, Vec<Session>, Vec<Assignment>)> {
    let sessions: Vec<Session> = study::year_sessions(state, year, None)
        .await?
        .into_iter()
        .filter(|s| s.attendance.iter().any(|a| a.user_id == user))
        .collect();
    let assignments = study::assignments(state, year, None, Some(user)).await?;
    let me = tally(&sessions, &assignments, Some(user))
        .into_iter()
        .next()
        .unwrap_or(PersonHours {
            user_id: user,
            ..PersonHours::default()
        });
    Ok((me, sessions, assignments))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::Attendee;
    use gov_core::UnitPath;

    fn session(id: i64, minutes: i64, people: &[i64]) -> Session {
        Session {
            id,
            unit_id: 3,
            unit_path: UnitPath::parse("/1/2/3/").unwrap(),
            unit_name: String::new(),
            held_on: "2026-03-02".into(),
            title: String::new(),
            minutes,
            host: String::new(),
            notes: String::new(),
            materials: Vec::new(),
            attendance: people
                .iter()
                .map(|u| Attendee {
                    user_id: *u,
                    display_name: format!("u{u}"),
                    self_signed: false,
                })
                .collect(),
        }
    }

    fn reading(user: i64, hours: f64, finished: bool) -> Assignment {
        Assignment {
            id: user,
            unit_id: 3,
            document_id: 1,
            title: String::new(),
            user_id: user,
            display_name: format!("u{user}"),
            hours,
            due_on: "2026-06-30".into(),
            page: 0,
            pages: 0,
            finished,
        }
    }

    #[test]
    fn hours_add_sessions_attended_and_reading_finished() {
        let sessions = [session(1, 90, &[7, 8]), session(2, 40, &[8])];
        let readings = [reading(7, 2.5, true), reading(8, 3.0, false)];
        let all = tally(&sessions, &readings, None);
        let of = |u: i64| all.iter().find(|p| p.user_id == u).unwrap().hours;
        assert_eq!(of(7), 4.0, "90 min + 2.5 h");
        assert_eq!(of(8), 2.2, "130 min, reading unfinished");
        let only = tally(&sessions, &readings, Some(8));
        assert_eq!(only.len(), 1);
        assert_eq!((only[0].sessions, only[0].session_minutes), (2, 130));
    }
}
