//! Proposals (提案) as stored: their kinds, states, reply classes and ratings, and the
//! queries that load one with its co-signers, co-handling units and history.

use platform::db::{Db, rows};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

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

/// One proposal row.
#[derive(Clone, Debug)]
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
    pub extended: bool,
    pub extension_reason: String,
    pub reply_text: String,
    pub reply_class: String,
    pub replied_at: Option<i64>,
    pub round: i64,
    pub rating_work: String,
    pub rating_result: String,
    pub followup: String,
    pub consent: bool,
    pub created_at: i64,
    pub filed_at: Option<i64>,
}

/// The columns [`from_row`] reads (`p` the proposal, `u` the proposer, `l` the lead unit).
pub const COLUMNS: &str = "p.id, p.district_id, p.title, p.body, p.kind, p.proposer_id, \
    u.display_name AS proposer_name, p.sector, p.state, p.decline_reason, p.merged_into, \
    p.lead_unit_id, COALESCE(l.name, '') AS lead_name, p.lead_path, p.assigned_at, p.sign_due, \
    p.co_due, p.reply_due, p.extended, p.extension_reason, p.reply_text, p.reply_class, \
    p.replied_at, p.round, p.rating_work, p.rating_result, p.followup, p.consent, \
    p.created_at, p.filed_at";

/// The tables [`COLUMNS`] come from.
pub const FROM: &str = "consult_proposals p JOIN platform_users u ON u.id = p.proposer_id \
    LEFT JOIN governance_units l ON l.id = p.lead_unit_id";

pub fn from_row(r: &AnyRow) -> sqlx::Result<Proposal> {
    let bad = |what: &str| sqlx::Error::Decode(format!("consult_proposals: bad {what}").into());
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    Ok(Proposal {
        id: r.try_get("id")?,
        district_id: r.try_get("district_id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        kind: Kind::parse(&kind).ok_or_else(|| bad("kind"))?,
        proposer_id: r.try_get("proposer_id")?,
        proposer_name: r.try_get("proposer_name")?,
        sector: r.try_get("sector")?,
        state: State::parse(&state).ok_or_else(|| bad("state"))?,
        decline_reason: r.try_get("decline_reason")?,
        merged_into: r.try_get("merged_into")?,
        lead_unit_id: r.try_get("lead_unit_id")?,
        lead_name: r.try_get("lead_name")?,
        lead_path: r.try_get("lead_path")?,
        assigned_at: r.try_get("assigned_at")?,
        sign_due: r.try_get("sign_due")?,
        co_due: r.try_get("co_due")?,
        reply_due: r.try_get("reply_due")?,
        extended: r.try_get::<i64, _>("extended")? != 0,
        extension_reason: r.try_get("extension_reason")?,
        reply_text: r.try_get("reply_text")?,
        reply_class: r.try_get("reply_class")?,
        replied_at: r.try_get("replied_at")?,
        round: r.try_get("round")?,
        rating_work: r.try_get("rating_work")?,
        rating_result: r.try_get("rating_result")?,
        followup: r.try_get("followup")?,
        consent: r.try_get::<i64, _>("consent")? != 0,
        created_at: r.try_get("created_at")?,
        filed_at: r.try_get("filed_at")?,
    })
}

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Proposal>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE p.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(from_row).transpose()
}

/// A co-signer of a joint proposal.
#[derive(Clone, Debug, Serialize)]
pub struct Cosigner {
    pub user_id: i64,
    pub name: String,
    pub confirmed: bool,
}

/// A co-handling unit (会办单位) and its opinion.
#[derive(Clone, Debug, Serialize)]
pub struct CoUnit {
    pub unit_id: i64,
    pub name: String,
    #[serde(skip)]
    pub path: String,
    pub opinion: String,
    pub opinion_at: Option<i64>,
}

/// A step in a proposal's history.
#[derive(Clone, Debug, Serialize)]
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
        "SELECT c.user_id, u.display_name, c.confirmed_at FROM consult_cosigners c \
         JOIN platform_users u ON u.id = c.user_id WHERE c.proposal_id = $1 ORDER BY c.user_id",
        id,
        |r| {
            Ok(Cosigner {
                user_id: r.try_get("user_id")?,
                name: r.try_get("display_name")?,
                confirmed: r.try_get::<Option<i64>, _>("confirmed_at")?.is_some(),
            })
        },
    )
    .await?;
    let co_units = rows::by_id(
        db,
        "SELECT c.unit_id, g.name, c.unit_path, c.opinion, c.opinion_at FROM consult_co_units c \
         JOIN governance_units g ON g.id = c.unit_id WHERE c.proposal_id = $1 ORDER BY c.unit_id",
        id,
        |r| {
            Ok(CoUnit {
                unit_id: r.try_get("unit_id")?,
                name: r.try_get("name")?,
                path: r.try_get("unit_path")?,
                opinion: r.try_get("opinion")?,
                opinion_at: r.try_get("opinion_at")?,
            })
        },
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
        |r| {
        Ok(Event {
            at: r.try_get("at")?,
            actor: r.try_get("actor")?,
            action: r.try_get("action")?,
            note: r.try_get("note")?,
        })
        },
    )
    .await
}

/// The working-day periods of a district (consult_settings, or the defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
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
        let row = sqlx::query("SELECT * FROM consult_settings WHERE district_id = $1")
            .bind(district_id)
            .fetch_optional(&db.pool)
            .await?;
        let Some(r) = row else {
            return Ok(Periods::default());
        };
        Ok(Periods {
            sign_days: r.try_get("sign_days")?,
            co_days: r.try_get("co_days")?,
            reply_days: r.try_get("reply_days")?,
            max_reply_days: r.try_get("max_reply_days")?,
            second_days: r.try_get("second_days")?,
        })
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
