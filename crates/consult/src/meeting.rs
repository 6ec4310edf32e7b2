//! The residents' meeting of a community matter: who is present (signed in by themselves,
//! or by the staff from the paper list, one entry per person) and how the decision is
//! counted. With a recountable vote the ballots decide (the vote is closed and its chain
//! head published first), and everyone who signed in or voted counts as present, once; without
//! one, the staff enter the counts taken at the meeting, which may not fall below the
//! sign-in list. Votes by household are measured against the community's households.

use crate::authz::{Action, ConsultActor, Target, authorize};
use crate::error::{ConsultError, ConsultResult};
use crate::matters::Matter;
use crate::people;
use crate::votes::{self, Rule};
use platform::db::{Db, rows};
use platform::web::Code;
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, Row};

/// Who signs in: nobody named (the actor themselves), a verified resident by account, or
/// a name and household from the paper list.
#[derive(Deserialize, Default)]
pub struct SignIn {
    #[serde(default)]
    pub user_id: Option<i64>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub household: String,
}

#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Attendee {
    /// `u:<user id>` or `p:<household>/<name>`: one entry per person.
    #[serde(skip)]
    #[sqlx(rename = "attendee")]
    pub key: String,
    pub name: String,
    pub household: String,
    /// Entered by the staff (from paper or for a resident present without a phone).
    #[sqlx(try_from = "platform::db::Flag")]
    pub by_staff: bool,
    pub at: i64,
}

/// The attendee `who` stands for, checked: residents sign only themselves in; the staff
/// sign in verified residents of the community or paper entries.
pub async fn attendee(
    state: &platform::AppState,
    actor: &ConsultActor,
    m: &Matter,
    who: &SignIn,
) -> ConsultResult<Attendee> {
    let me = actor.id().ok_or(ConsultError::SignIn)?;
    let by_staff = who.user_id.is_some_and(|u| u != me) || !who.name.trim().is_empty();
    if by_staff {
        authorize(actor, Action::ManageVotes, &Target::Unit(&m.unit_path))?;
    }
    let now = state.now();
    if let Some(user) = who.user_id.or((!by_staff).then_some(me)) {
        let r = people::resident_in(&state.db, user, &m.unit_path)
            .await?
            .ok_or(ConsultError::of(Code::NotResident))?;
        let name = platform::auth::find_user(&state.db, user)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        return Ok(Attendee {
            key: format!("u:{user}"),
            name,
            household: r.household,
            by_staff,
            at: now,
        });
    }
    let (name, household) = (who.name.trim(), who.household.trim());
    let fits = |s: &str| (1..=40).contains(&s.chars().count()) && !s.contains('/');
    if !fits(name) || !fits(household) {
        return Err(ConsultError::field(platform::bi!(
            "请填写姓名和户号（各 1–40 字，不含 /）。",
            "give a name and a household (1–40 characters each, no /)"
        )));
    }
    Ok(Attendee {
        key: format!("p:{household}/{name}"),
        name: name.into(),
        household: household.into(),
        by_staff: true,
        at: now,
    })
}

/// Records a sign-in; a second one of the same person answers 409.
pub async fn record(
    db: &Db,
    matter: i64,
    a: &Attendee,
    by: Option<i64>,
    now: i64,
) -> ConsultResult<()> {
    let added = sqlx::query(
        "INSERT INTO consult_matter_attendance (matter_id, attendee, name, household, signed_by, at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(matter)
    .bind(&a.key)
    .bind(&a.name)
    .bind(&a.household)
    .bind(if a.by_staff { by } else { None })
    .bind(now)
    .execute(&db.pool)
    .await?;
    if added.rows_affected() == 0 {
        return Err(ConsultError::of(Code::AlreadySignedIn));
    }
    Ok(())
}

pub async fn count(db: &Db, matter: i64) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM consult_matter_attendance WHERE matter_id = $1")
        .bind(matter)
        .fetch_one(&db.pool)
        .await?
        .try_get("n")
}

/// The sign-in list in order (names: for the community's staff only).
pub async fn list(db: &Db, matter: i64) -> sqlx::Result<Vec<Attendee>> {
    rows::by_id(
        db,
        "SELECT attendee, name, household, \
         CASE WHEN signed_by IS NULL THEN 0 ELSE 1 END AS by_staff, at \
         FROM consult_matter_attendance WHERE matter_id = $1 ORDER BY at, attendee",
        matter,
        |r| Attendee::from_row(r),
    )
    .await
}

/// Those present at a meeting that voted by ballot: everyone signed in, and every voter who
/// did not sign in (voters and sign-ins matched by account, or by household for a
/// household vote) — the union, each person (or household) once. Only who voted is read,
/// never what they voted.
async fn present_with_vote(db: &Db, matter: i64, vote: &votes::Vote) -> sqlx::Result<i64> {
    let sql = match vote.rule {
        Rule::Resident => {
            "SELECT (SELECT COUNT(*) FROM consult_matter_attendance WHERE matter_id = $1) + \
             (SELECT COUNT(*) FROM consult_vote_voters v WHERE v.vote_id = $2 AND NOT EXISTS \
              (SELECT 1 FROM consult_matter_attendance a WHERE a.matter_id = $1 \
               AND a.attendee = 'u:' || substr(v.voter_key, 3))) AS n"
        }
        Rule::Household => {
            "SELECT (SELECT COUNT(DISTINCT household) FROM consult_matter_attendance WHERE matter_id = $1) + \
             (SELECT COUNT(*) FROM consult_vote_voters v WHERE v.vote_id = $2 AND NOT EXISTS \
              (SELECT 1 FROM consult_matter_attendance a WHERE a.matter_id = $1 \
               AND v.voter_key LIKE 'h:%:' || a.household)) AS n"
        }
    };
    sqlx::query(sql)
        .bind(matter)
        .bind(vote.id)
        .fetch_one(&db.pool)
        .await?
        .try_get("n")
}

/// The counts a decision rests on, and whether it passed.
#[derive(Debug, PartialEq, Eq)]
pub struct Decision {
    pub present: i64,
    pub in_favour: i64,
    pub passed: bool,
}

/// Counts the decision of `m` at the meeting: from its vote if it has one (closing it),
/// else from the counts entered (`present`, `in_favour`).
pub async fn decide(
    state: &platform::AppState,
    m: &Matter,
    unit: &gov_core::Unit,
    present: i64,
    in_favour: i64,
) -> ConsultResult<Decision> {
    let signed = count(&state.db, m.id).await?;
    let (present, in_favour, entitled) = match m.vote_id {
        Some(vote_id) => {
            let mut vote = votes::find(&state.db, vote_id)
                .await?
                .ok_or(ConsultError::NotFound)?;
            if vote.open {
                match votes::close(&state.db, vote_id, state.now()).await {
                    // Closed meanwhile by the votes page: the same result.
                    Ok(()) | Err(ConsultError::Coded { .. }) => {}
                    Err(e) => return Err(e),
                }
                vote = votes::find(&state.db, vote_id)
                    .await?
                    .ok_or(ConsultError::NotFound)?;
            }
            let tally = votes::tally(&state.db, &vote).await?;
            let yes = vote
                .options
                .first()
                .and_then(|o| tally.get(&o.id))
                .copied()
                .unwrap_or(0);
            let entitled = match vote.rule {
                Rule::Household => unit.households,
                Rule::Resident => unit.residents,
            };
            (
                present_with_vote(&state.db, m.id, &vote).await?,
                yes,
                entitled,
            )
        }
        None => {
            if present < 0
                || in_favour < 0
                || in_favour > present
                || present > unit.residents.max(unit.households)
            {
                return Err(ConsultError::field(platform::bi!(
                    "到会和赞成人数不合理。",
                    "the counts present and in favour do not add up"
                )));
            }
            if present < signed {
                return Err(ConsultError::field(platform::bi!(
                    "到会人数不能少于已签到的人数。",
                    "fewer present than have signed in"
                )));
            }
            (present, in_favour, unit.residents)
        }
    };
    Ok(Decision {
        present,
        in_favour,
        passed: m.rules.passes(in_favour, present, entitled),
    })
}
