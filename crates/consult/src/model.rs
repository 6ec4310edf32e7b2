//! Proposals (提案) as stored: their kinds, states, reply classes and ratings, and the
//! queries that load one with its co-signers, co-handling units and history.

use platform::db::{Db, rows};
use serde::Serialize;
use sqlx::FromRow;

platform::vocabulary! {
    /// Who a proposal is from.
    Kind {
        Member = "member", "委员提案", "Member's proposal";
        PartyGroup = "party_group", "党派团体提案", "Party group proposal";
        Sector = "sector", "界别提案", "Sector proposal";
        Committee = "committee", "专委会提案", "Committee proposal";
    }
}

platform::vocabulary! {
    /// Where a proposal is in its handling.
    State {
        Submitted = "submitted", "已提交", "Submitted";
        Filed = "filed", "已立案", "Filed";
        Declined = "declined", "不予立案", "Declined";
        Merged = "merged", "已并案", "Merged";
        Assigned = "assigned", "已交办", "Assigned";
        ReturnRequested = "return_requested", "申请退回", "Return requested";
        Handling = "handling", "办理中", "Being handled";
        Drafted = "drafted", "答复已起草", "Reply drafted";
        Countersigned = "countersigned", "答复已会签", "Reply countersigned";
        Checked = "checked", "提案办已审核", "Checked by the office";
        Replied = "replied", "已正式答复", "Replied";
        SecondHandling = "second_handling", "二次办理", "Second handling";
        Closed = "closed", "已办结", "Closed";
    }
}

platform::vocabulary! {
    /// The standard reasons for not filing a proposal (不立案).
    DeclineReason {
        Returned = "returned", "退回提案人", "Returned to the proposer";
        Forwarded = "forwarded", "转为社情民意信息", "Forwarded as a public-opinion item";
    }
}

platform::vocabulary! {
    /// The class of a reply.
    ReplyClass {
        A = "A", "A类：已解决或采纳", "A: solved or adopted";
        B = "B", "B类：列入计划拟解决", "B: in the plan";
        C = "C", "C类：留作参考", "C: kept for reference";
    }
}

platform::vocabulary! {
    /// The proposer's rating of the handling work or of its result.
    Rating {
        Satisfied = "satisfied", "满意", "Satisfied";
        Basic = "basic", "基本满意", "Basically satisfied";
        Unsatisfied = "unsatisfied", "不满意", "Unsatisfied";
    }
}

/// One proposal row, read by the names in [`COLUMNS`].
#[derive(Clone, Debug, FromRow)]
pub struct Proposal {
    pub id: i64,
    pub district_id: i64,
    pub title: String,
    pub body: String,
    pub kind: Kind,
    pub proposer_id: i64,
    pub proposer_name: String,
    pub sector: String,
    pub state: State,
    pub decline_reason: String,
    pub merged_into: Option<i64>,
    pub lead_unit_id: Option<i64>,
    pub lead_name: String,
    pub lead_path: String,
    pub assigned_at: Option<i64>,
    pub sign_due: Option<i64>,
    pub co_due: Option<i64>,
    pub reply_due: Option<i64>,
    #[sqlx(try_from = "platform::db::Flag")]
    pub extended: bool,
    pub extension_reason: String,
    pub reply_text: String,
    pub reply_class: String,
    pub replied_at: Option<i64>,
    pub round: i64,
    pub rating_work: String,
    pub rating_result: String,
    pub followup: String,
    #[sqlx(try_from = "platform::db::Flag")]
    pub consent: bool,
    pub created_at: i64,
    pub filed_at: Option<i64>,
}

/// The columns [`Proposal`] reads (`p` the proposal, `u` the proposer, `l` the lead unit).
pub const COLUMNS: &str = "p.id, p.district_id, p.title, p.body, p.kind, p.proposer_id, \
    u.display_name AS proposer_name, p.sector, p.state, p.decline_reason, p.merged_into, \
    p.lead_unit_id, COALESCE(l.name, '') AS lead_name, p.lead_path, p.assigned_at, p.sign_due, \
    p.co_due, p.reply_due, p.extended, p.extension_reason, p.reply_text, p.reply_class, \
    p.replied_at, p.round, p.rating_work, p.rating_result, p.followup, p.consent, \
    p.created_at, p.filed_at";

/// The tables [`COLUMNS`] come from.
pub const FROM: &str = "consult_proposals p JOIN platform_users u ON u.id = p.proposer_id \
    LEFT JOIN governance_units l ON l.id = p.lead_unit_id";

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Proposal>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE p.id = $1");
    sqlx::query_as(&sql).bind(id).fetch_optional(&db.pool).await
}

/// A co-signer of a joint proposal.
#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Cosigner {
    pub user_id: i64,
    pub name: String,
    #[sqlx(try_from = "platform::db::Flag")]
    pub confirmed: bool,
}

/// A co-handling unit (会办单位) and its opinion.
#[derive(Clone, Debug, Serialize, FromRow)]
pub struct CoUnit {
    pub unit_id: i64,
    pub name: String,
    #[serde(skip)]
    pub path: String,
    pub opinion: String,
    pub opinion_at: Option<i64>,
}

/// A step in a proposal's history.
#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Event {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub note: String,
}

/// A proposal with the people and units around it.
#[derive(Clone, Debug)]
pub struct Full {
    pub p: Proposal,
    pub cosigners: Vec<Cosigner>,
    pub co_units: Vec<CoUnit>,
}

impl Full {
    pub fn co_paths(&self) -> Vec<String> {
        self.co_units.iter().map(|c| c.path.clone()).collect()
    }
    pub fn cosigner_ids(&self) -> Vec<i64> {
        self.cosigners.iter().map(|c| c.user_id).collect()
    }
}

pub async fn load(db: &Db, id: i64) -> sqlx::Result<Option<Full>> {
    let Some(p) = find(db, id).await? else {
        return Ok(None);
    };
    let cosigners = rows::by_id(
        db,
        "SELECT c.user_id, u.display_name AS name, \
         CASE WHEN c.confirmed_at IS NULL THEN 0 ELSE 1 END AS confirmed FROM consult_cosigners c \
         JOIN platform_users u ON u.id = c.user_id WHERE c.proposal_id = $1 ORDER BY c.user_id",
        id,
        |r| Cosigner::from_row(r),
    )
    .await?;
    let co_units = rows::by_id(
        db,
        "SELECT c.unit_id, g.name, c.unit_path AS path, c.opinion, c.opinion_at \
         FROM consult_co_units c JOIN governance_units g ON g.id = c.unit_id \
         WHERE c.proposal_id = $1 ORDER BY c.unit_id",
        id,
        |r| CoUnit::from_row(r),
    )
    .await?;
    Ok(Some(Full {
        p,
        cosigners,
        co_units,
    }))
}

pub async fn events(db: &Db, id: i64) -> sqlx::Result<Vec<Event>> {
    rows::by_id(
        db,
        "SELECT e.at, COALESCE(u.display_name, '') AS actor, e.action, e.note FROM consult_events e \
         LEFT JOIN platform_users u ON u.id = e.actor_id WHERE e.proposal_id = $1 ORDER BY e.id",
        id,
        |r| Event::from_row(r),
    )
    .await
}

/// The working-day periods of a district (consult_settings, or the defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, FromRow)]
pub struct Periods {
    /// Working days the lead unit has to sign for a proposal or ask to hand it back.
    pub sign_days: i64,
    /// Working days the co-handling units have to send their opinion.
    pub co_days: i64,
    /// Working days to the formal reply (about three months).
    pub reply_days: i64,
    /// The reply period after its one extension (about six months).
    pub max_reply_days: i64,
    /// Working days for a second handling.
    pub second_days: i64,
}

impl Default for Periods {
    fn default() -> Periods {
        Periods {
            sign_days: 5,
            co_days: 20,
            reply_days: 65,
            max_reply_days: 130,
            second_days: 22,
        }
    }
}

impl Periods {
    pub fn valid(&self) -> bool {
        let p = [
            self.sign_days,
            self.co_days,
            self.reply_days,
            self.max_reply_days,
            self.second_days,
        ];
        p.iter().all(|d| (1..=400).contains(d)) && self.max_reply_days >= self.reply_days
    }

    pub async fn load(db: &Db, district_id: i64) -> sqlx::Result<Periods> {
        let found = sqlx::query_as(
            "SELECT sign_days, co_days, reply_days, max_reply_days, second_days \
             FROM consult_settings WHERE district_id = $1",
        )
        .bind(district_id)
        .fetch_optional(&db.pool)
        .await?;
        Ok(found.unwrap_or_default())
    }

    pub async fn save(&self, db: &Db, district_id: i64) -> sqlx::Result<()> {
        let mut tx = db.begin().await?;
        sqlx::query("DELETE FROM consult_settings WHERE district_id = $1")
            .bind(district_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO consult_settings (district_id, sign_days, co_days, reply_days, max_reply_days, second_days) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(district_id)
        .bind(self.sign_days)
        .bind(self.co_days)
        .bind(self.reply_days)
        .bind(self.max_reply_days)
        .bind(self.second_days)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}
