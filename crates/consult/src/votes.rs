//! Community votes that can be recounted. Only verified residents of the community vote;
//! one ballot per resident or per household, enforced by the primary key of
//! `consult_vote_voters` (a second insert does nothing, and the step answers 409), so two
//! requests racing on two connections cannot both count. Every ballot is appended to a
//! hash chain: `hash = SHA-256(prev ‖ vote ‖ seq ‖ option ‖ cast_at ‖ nonce)` with NUL
//! separators, starting from [`genesis`]; the ballot's hash is the voter's receipt. When
//! the vote closes its chain head is published, and the ballot log (no names) lets anyone
//! recount the tally and check the chain ([`recount`], `gongzhi votes verify ID`).

use crate::error::{ConsultError, ConsultResult};
use crate::people::Residency;
use platform::db::{Db, rows};
use platform::web::Code;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{FromRow, Row};
use std::collections::BTreeMap;

platform::vocabulary! {
    /// One ballot per resident, or one per household.
    Rule {
        Resident = "resident", "每人一票", "One ballot per resident";
        Household = "household", "每户一票", "One ballot per household";
    }
}

#[derive(Clone, Debug, Serialize, FromRow)]
pub struct VoteOption {
    pub id: i64,
    pub label: String,
}

#[derive(Clone, Debug, FromRow)]
pub struct Vote {
    pub id: i64,
    pub unit_id: i64,
    pub unit_path: String,
    pub unit_name: String,
    pub title: String,
    pub body: String,
    pub rule: Rule,
    #[sqlx(try_from = "platform::db::Flag")]
    pub open: bool,
    pub ballots: i64,
    pub chain_head: String,
    pub published_head: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    /// Read by a second query.
    #[sqlx(skip)]
    pub options: Vec<VoteOption>,
}

/// The chain's starting hash for a vote.
pub fn genesis(vote: i64) -> String {
    hex::encode(Sha256::digest(format!("gongzhi-vote:{vote}").as_bytes()))
}

pub fn ballot_hash(
    prev: &str,
    vote: i64,
    seq: i64,
    option: i64,
    cast_at: i64,
    nonce: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &vote.to_string(),
        &seq.to_string(),
        &option.to_string(),
        &cast_at.to_string(),
        nonce,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Vote>> {
    let found: Option<Vote> = sqlx::query_as(
        "SELECT v.id, v.unit_id, v.unit_path, g.name AS unit_name, v.title, v.body, v.rule, \
         CASE WHEN v.state = 'open' THEN 1 ELSE 0 END AS open, v.ballots, v.chain_head, \
         v.published_head, v.created_at, v.closed_at \
         FROM consult_votes v JOIN governance_units g ON g.id = v.unit_id WHERE v.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(mut vote) = found else {
        return Ok(None);
    };
    vote.options = rows::by_id(
        db,
        "SELECT id, label FROM consult_vote_options WHERE vote_id = $1 ORDER BY sort, id",
        id,
        |r| VoteOption::from_row(r),
    )
    .await?;
    Ok(Some(vote))
}

/// The rules and options of a vote, as created or changed.
pub struct Spec {
    pub title: String,
    pub body: String,
    pub rule: Rule,
    pub options: Vec<String>,
}

impl Spec {
    pub fn check(&self) -> ConsultResult<()> {
        let n = self.title.trim().chars().count();
        if !(4..=120).contains(&n) {
            return Err(ConsultError::field(platform::bi!(
                "标题须为 4–120 个字。",
                "the title must be 4–120 characters"
            )));
        }
        let labels: Vec<&str> = self.options.iter().map(|o| o.trim()).collect();
        let distinct: std::collections::BTreeSet<&str> = labels.iter().copied().collect();
        if !(2..=20).contains(&labels.len())
            || distinct.len() != labels.len()
            || labels
                .iter()
                .any(|l| l.is_empty() || l.chars().count() > 100)
        {
            return Err(ConsultError::field(platform::bi!(
                "须有 2–20 个互不相同的选项（每项 100 字以内）。",
                "give 2–20 distinct options of up to 100 characters"
            )));
        }
        Ok(())
    }
}

/// Opens a vote in a community; its id.
pub async fn create(
    db: &Db,
    unit_id: i64,
    unit_path: &str,
    spec: &Spec,
    by: Option<i64>,
    now: i64,
) -> ConsultResult<i64> {
    let mut tx = db.begin().await?;
    let id = create_in(&mut tx, unit_id, unit_path, spec, by, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`create`] inside a caller's transaction (a matter opens its vote with its own step).
pub async fn create_in(
    tx: &mut platform::db::Tx,
    unit_id: i64,
    unit_path: &str,
    spec: &Spec,
    by: Option<i64>,
    now: i64,
) -> ConsultResult<i64> {
    spec.check()?;
    let id: i64 = sqlx::query(
        "INSERT INTO consult_votes (unit_id, unit_path, title, body, rule, state, chain_head, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', '', $6, $7) RETURNING id",
    )
    .bind(unit_id)
    .bind(unit_path)
    .bind(spec.title.trim())
    .bind(spec.body.trim())
    .bind(spec.rule.as_str())
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    sqlx::query("UPDATE consult_votes SET chain_head = $1 WHERE id = $2")
        .bind(genesis(id))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    insert_options(tx, id, &spec.options).await?;
    Ok(id)
}

async fn insert_options(
    tx: &mut platform::db::Tx,
    id: i64,
    options: &[String],
) -> sqlx::Result<()> {
    for (i, label) in options.iter().enumerate() {
        sqlx::query("INSERT INTO consult_vote_options (vote_id, label, sort) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(label.trim())
            .bind(i as i64)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Changes the rules of a vote: refused once a ballot is cast (409 `rules_locked`).
pub async fn change(db: &Db, id: i64, spec: &Spec) -> ConsultResult<()> {
    spec.check()?;
    let mut tx = db.begin().await?;
    // The guard and the change are one statement: a ballot committed meanwhile makes it
    // match no row.
    let changed = sqlx::query(
        "UPDATE consult_votes SET title = $1, body = $2, rule = $3 WHERE id = $4 AND ballots = 0 AND state = 'open'",
    )
    .bind(spec.title.trim())
    .bind(spec.body.trim())
    .bind(spec.rule.as_str())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(ConsultError::of(Code::RulesLocked));
    }
    sqlx::query("DELETE FROM consult_vote_options WHERE vote_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    insert_options(&mut tx, id, &spec.options).await?;
    tx.commit().await?;
    Ok(())
}

/// Casts a ballot for `option` by a resident; the receipt (the ballot's hash).
pub async fn cast(
    db: &Db,
    vote: &Vote,
    who: &Residency,
    option: i64,
    now: i64,
) -> ConsultResult<String> {
    if !vote.options.iter().any(|o| o.id == option) {
        return Err(ConsultError::field(platform::bi!(
            "没有这个选项。",
            "no such option in this vote"
        )));
    }
    let key = match vote.rule {
        Rule::Resident => format!("r:{}", who.user_id),
        Rule::Household => format!("h:{}:{}", who.unit_id, who.household.trim()),
    };
    let mut tx = db.begin().await?;
    let fresh = sqlx::query("INSERT INTO consult_vote_voters (vote_id, voter_key) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(vote.id)
        .bind(&key)
        .execute(&mut *tx)
        .await?;
    if fresh.rows_affected() == 0 {
        return Err(ConsultError::of(Code::AlreadyVoted));
    }
    // Takes the vote's row lock: ballots of one vote are chained one after the other.
    let Some(row) = sqlx::query(
        "UPDATE consult_votes SET ballots = ballots + 1 WHERE id = $1 AND state = 'open' RETURNING ballots, chain_head",
    )
    .bind(vote.id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Err(ConsultError::of(Code::VoteClosed));
    };
    let seq: i64 = row.try_get("ballots")?;
    let prev: String = row.try_get("chain_head")?;
    let nonce = platform::auth::new_token()[..32].to_string();
    let hash = ballot_hash(&prev, vote.id, seq, option, now, &nonce);
    sqlx::query(
        "INSERT INTO consult_ballots (vote_id, seq, option_id, cast_at, nonce, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(vote.id)
    .bind(seq)
    .bind(option)
    .bind(now)
    .bind(&nonce)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE consult_votes SET chain_head = $1 WHERE id = $2")
        .bind(&hash)
        .bind(vote.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(hash)
}

/// Closes a vote and publishes its chain head.
pub async fn close(db: &Db, id: i64, now: i64) -> ConsultResult<()> {
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE consult_votes SET state = 'closed', published_head = chain_head, closed_at = $1 WHERE id = $2 AND state = 'open'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(ConsultError::of(Code::VoteClosed));
    }
    tx.commit().await?;
    Ok(())
}

/// One entry of the published ballot log: no voter in it.
#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Ballot {
    pub seq: i64,
    pub option_id: i64,
    pub cast_at: i64,
    pub nonce: String,
    pub prev_hash: String,
    pub hash: String,
}

pub async fn ballots(db: &Db, id: i64) -> sqlx::Result<Vec<Ballot>> {
    rows::by_id(
        db,
        "SELECT seq, option_id, cast_at, nonce, prev_hash, hash FROM consult_ballots \
         WHERE vote_id = $1 ORDER BY seq",
        id,
        |r| Ballot::from_row(r),
    )
    .await
}

/// The live tally by option (every option, zero included).
pub async fn tally(db: &Db, vote: &Vote) -> sqlx::Result<BTreeMap<i64, i64>> {
    let mut t: BTreeMap<i64, i64> = vote.options.iter().map(|o| (o.id, 0)).collect();
    for r in sqlx::query("SELECT option_id, COUNT(*) AS n FROM consult_ballots WHERE vote_id = $1 GROUP BY option_id")
        .bind(vote.id)
        .fetch_all(&db.pool)
        .await?
    {
        t.insert(r.try_get("option_id")?, r.try_get("n")?);
    }
    Ok(t)
}

/// What a recount found: the tally from the ballot log and every disagreement.
#[derive(Debug, Serialize)]
pub struct Recount {
    pub tally: BTreeMap<i64, i64>,
    pub ballots: i64,
    pub head: String,
    pub problems: Vec<String>,
}

/// Recounts the tally from the ballot log alone, checks every link and hash of the chain
/// and that the log agrees with the vote's counters, its voters and its published head.
pub fn check_chain(vote: &Vote, log: &[Ballot], voters: i64) -> Recount {
    let mut problems = Vec::new();
    let mut tally: BTreeMap<i64, i64> = vote.options.iter().map(|o| (o.id, 0)).collect();
    let mut prev = genesis(vote.id);
    for (i, b) in log.iter().enumerate() {
        if b.seq != i as i64 + 1 {
            problems.push(format!(
                "ballot {}: expected sequence number {}",
                b.seq,
                i + 1
            ));
        }
        if b.prev_hash != prev {
            problems.push(format!(
                "ballot {}: does not link to the ballot before it",
                b.seq
            ));
        }
        let h = ballot_hash(&prev, vote.id, b.seq, b.option_id, b.cast_at, &b.nonce);
        if h != b.hash {
            problems.push(format!(
                "ballot {}: its hash does not match its contents",
                b.seq
            ));
        }
        match tally.get_mut(&b.option_id) {
            Some(n) => *n += 1,
            None => problems.push(format!(
                "ballot {}: option {} is not in the vote",
                b.seq, b.option_id
            )),
        }
        prev = b.hash.clone();
    }
    let n = log.len() as i64;
    if n != vote.ballots {
        problems.push(format!(
            "the vote counts {} ballots, the log holds {n}",
            vote.ballots
        ));
    }
    if n != voters {
        problems.push(format!(
            "{voters} voters are recorded, the log holds {n} ballots"
        ));
    }
    if prev != vote.chain_head {
        problems.push("the chain ends elsewhere than the vote's recorded head".into());
    }
    if !vote.open && prev != vote.published_head {
        problems.push("the chain ends elsewhere than the published head".into());
    }
    Recount {
        tally,
        ballots: n,
        head: prev,
        problems,
    }
}

/// [`check_chain`] on the stored vote.
pub async fn recount(db: &Db, id: i64) -> anyhow::Result<Recount> {
    let vote = find(db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no vote {id}"))?;
    let log = ballots(db, id).await?;
    let voters: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM consult_vote_voters WHERE vote_id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await?
            .try_get("n")?;
    Ok(check_chain(&vote, &log, voters))
}

/// `gongzhi votes verify ID`: prints the recounted tally; an error on any mismatch.
pub async fn verify_cli(db: &Db, id: i64) -> anyhow::Result<()> {
    let r = recount(db, id).await?;
    let vote = find(db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no vote {id}"))?;
    println!("vote {id}: {} ballots, chain head {}", r.ballots, r.head);
    for o in &vote.options {
        println!(
            "  option {} ({}): {}",
            o.id,
            o.label,
            r.tally.get(&o.id).copied().unwrap_or(0)
        );
    }
    if r.problems.is_empty() {
        println!("recount agrees with the chain");
        Ok(())
    } else {
        for p in &r.problems {
            eprintln!("MISMATCH {p}");
        }
        anyhow::bail!("vote {id}: {} mismatch(es)", r.problems.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(open: bool) -> Vote {
        Vote {
            id: 3,
            unit_id: 1,
            unit_path: "/1/".into(),
            unit_name: String::new(),
            title: String::new(),
            body: String::new(),
            rule: Rule::Resident,
            open,
            ballots: 0,
            chain_head: genesis(3),
            published_head: String::new(),
            created_at: 0,
            closed_at: None,
            options: vec![
                VoteOption {
                    id: 10,
                    label: "yes".into(),
                },
                VoteOption {
                    id: 11,
                    label: "no".into(),
                },
            ],
        }
    }

    fn chain(v: &mut Vote, options: &[i64]) -> Vec<Ballot> {
        let mut log = Vec::new();
        for (i, o) in options.iter().enumerate() {
            let seq = i as i64 + 1;
            let prev = v.chain_head.clone();
            let hash = ballot_hash(&prev, v.id, seq, *o, 100 + seq, "n");
            log.push(Ballot {
                seq,
                option_id: *o,
                cast_at: 100 + seq,
                nonce: "n".into(),
                prev_hash: prev,
                hash: hash.clone(),
            });
            v.chain_head = hash;
            v.ballots = seq;
        }
        log
    }

    #[test]
    fn an_intact_chain_recounts_and_a_tampered_one_does_not() {
        let mut v = vote(false);
        let log = chain(&mut v, &[10, 11, 10]);
        v.published_head = v.chain_head.clone();
        let r = check_chain(&v, &log, 3);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.tally[&10], 2);
        assert_eq!(r.tally[&11], 1);

        let mut changed = log.clone();
        changed[1].option_id = 10;
        assert!(!check_chain(&v, &changed, 3).problems.is_empty());
        let dropped: Vec<Ballot> = log[..2].to_vec();
        assert!(!check_chain(&v, &dropped, 3).problems.is_empty());
        assert!(
            !check_chain(&v, &log, 4).problems.is_empty(),
            "a voter without a ballot"
        );
    }
}
