//! The leader's overview over a district-year (issue 16), a phase of `cases-bench` run
//! after the million cases are loaded: 300 organisations, 10,000 needs and 1,000 proposals
//! are written by SQL beside them, then `GET /api/v1/overview` is timed for the district's
//! centre operator — and, as the baseline in the same run, the same figures computed by
//! plain SQL on one connection straight on the file (no HTTP, no sign-in, no scope, no
//! module layering). The overview has no cache and no pre-aggregation, so the baseline is
//! the floor of what its queries cost, not a slower alternative.

use super::sqlite;
use crate::intake::{District, latency_json};
use serde_json::Value;
use sqlx::{Connection, Row};
use std::path::Path;
use std::time::Instant;

const DAY: i64 = 86_400_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn district_id(d: &District) -> i64 {
    d.district_path
        .trim_matches('/')
        .split('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// Organisations, needs and proposals of the district, in one transaction; seconds taken.
pub async fn seed(
    db: &Path,
    d: &District,
    orgs: usize,
    needs: usize,
    proposals: usize,
    now: i64,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut c = sqlite(db).await?;
    let mut tx = c.begin().await?;
    let user: i64 = sqlx::query("SELECT id FROM platform_users WHERE username = 'bench_admin'")
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
    // Communities carry people; the overview's per-10,000 figure needs organisations there.
    let communities: Vec<&(i64, String)> = d
        .units
        .iter()
        .filter(|(_, p)| p.matches('/').count() > 3)
        .collect();
    let mut rng = Rng(0x4f56_4552_5649_4557);
    for i in 0..orgs {
        let (unit, _) = communities[i % communities.len()];
        sqlx::query(
            "INSERT INTO governance_orgs (name, credit_code, org_type, registered_on, legal_rep, unit_id, hub_role, created_at, updated_at) \
             VALUES ($1, $2, 'social_service_agency', '2019-03-01', '—', $3, 'member', 0, 0)",
        )
        .bind(format!("概览基准组织{i}"))
        .bind(format!("OVBENCH{i:011}"))
        .bind(unit)
        .execute(&mut *tx)
        .await?;
    }
    for i in 0..needs {
        let (unit, path) = communities[rng.below(communities.len())];
        let state = ["open", "referred", "met", "met", "unmet"][rng.below(5)];
        let at = now - rng.below(365) as i64 * DAY;
        sqlx::query(
            "INSERT INTO needs_needs (title, unit_id, unit_path, urgency, raiser_kind, raised_by, state, created_at, updated_at) \
             VALUES ($1, $2, $3, 'normal', 'grid_worker', $4, $5, $6, $6)",
        )
        .bind(format!("独居老人午餐无人照料{i}"))
        .bind(unit)
        .bind(path)
        .bind(user)
        .bind(state)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    // Rectangles for the streets and the communities (two and three ids in their path), so
    // the district's map and each street's have areas to colour.
    let streets: Vec<&(i64, String)> = d
        .units
        .iter()
        .filter(|(_, p)| (3..=4).contains(&p.matches('/').count()))
        .collect();
    for (i, (unit, _)) in streets.iter().enumerate() {
        let (w, e) = (114.0 + 0.02 * i as f64, 114.02 + 0.02 * i as f64);
        let ring = format!("[[{w},22.5],[{e},22.5],[{e},22.56],[{w},22.56],[{w},22.5]]");
        sqlx::query(
            "INSERT INTO governance_unit_boundaries (unit_id, geojson, points, note, updated_at) VALUES ($1, $2, 5, 'bench', 0)",
        )
        .bind(unit)
        .bind(format!("{{\"type\":\"MultiPolygon\",\"coordinates\":[[{ring}]]}}"))
        .execute(&mut *tx)
        .await?;
    }
    let district = district_id(d);
    for i in 0..proposals {
        let (lead, lead_path) = &d.units[rng.below(d.units.len())];
        let at = now - rng.below(365) as i64 * DAY;
        let due = at + 90 * DAY;
        let replied = (rng.below(4) != 0).then(|| at + rng.below(110) as i64 * DAY);
        let rating = match replied {
            Some(_) => ["satisfied", "basic", "dissatisfied", ""][rng.below(4)],
            None => "",
        };
        sqlx::query(
            "INSERT INTO consult_proposals (district_id, title, body, kind, proposer_id, sector, state, lead_unit_id, lead_path, \
             reply_due, replied_at, rating_work, rating_result, created_at, updated_at) \
             VALUES ($1, $2, '关于完善社区养老服务网络的建议。', 'member', $3, '社会福利界', $4, $5, $6, $7, $8, $9, $9, $10, $10)",
        )
        .bind(district)
        .bind(format!("关于社区治理的提案{i}"))
        .bind(user)
        .bind(if replied.is_some() { "replied" } else { "assigned" })
        .bind(lead)
        .bind(lead_path)
        .bind(due)
        .bind(replied)
        .bind(rating)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    sqlx::query("ANALYZE").execute(&mut c).await?;
    c.close().await?;
    Ok(started.elapsed().as_secs_f64())
}

/// The overview's figures by plain SQL, one query after another on one connection: the
/// organisations per street, the cases' 30-day rates, today's intake, open cases by state,
/// overdue by unit with cards, the 30-day trend of reported and closed, needs by state,
/// projects running, and proposals replied on time and rated.
pub async fn baseline(db: &Path, d: &District, now: i64, runs: usize) -> anyhow::Result<Value> {
    let mut c = sqlite(db).await?;
    let district = district_id(d);
    let first = now - 30 * DAY;
    let queries: Vec<(String, Vec<i64>)> = vec![
        (
            "SELECT s.id, s.residents, (SELECT COUNT(*) FROM governance_orgs o JOIN governance_units u ON u.id = o.unit_id \
             WHERE u.path LIKE s.path || '%') AS orgs FROM governance_units s WHERE s.parent_id = $1"
                .into(),
            vec![district],
        ),
        (
            "SELECT c.lead_unit_id, COUNT(*), SUM(CASE WHEN c.responded_at <= c.respond_by THEN 1 ELSE 0 END), \
             SUM(CASE WHEN c.state = 'closed' THEN 1 ELSE 0 END), SUM(CASE WHEN c.satisfaction <> '' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN c.satisfaction IN ('satisfied', 'basic') THEN 1 ELSE 0 END) \
             FROM cases_cases c WHERE c.dispatched_at >= $1 AND c.dispatched_at < $2 AND c.lead_unit_id IS NOT NULL GROUP BY 1"
                .into(),
            vec![first, now + DAY],
        ),
        ("SELECT COUNT(*) FROM cases_cases c WHERE c.reported_at >= $1".into(), vec![now - DAY]),
        (
            "SELECT c.state, COUNT(*) FROM cases_cases c WHERE c.state IN ('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified') GROUP BY c.state"
                .into(),
            vec![],
        ),
        (
            "SELECT +c.lead_unit_id, COUNT(*), SUM(CASE WHEN c.supervision = 'yellow' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN c.supervision = 'red' THEN 1 ELSE 0 END) FROM cases_cases c \
             WHERE c.state IN ('dispatched', 'in_progress') AND c.due_at < $1 GROUP BY 1"
                .into(),
            vec![now],
        ),
        (
            format!("SELECT (c.reported_at - {first}) / {DAY} AS d, COUNT(*) FROM cases_cases c WHERE c.reported_at >= $1 AND c.reported_at < $2 GROUP BY d"),
            vec![first, now + DAY],
        ),
        (
            format!("SELECT (c.closed_at - {first}) / {DAY} AS d, COUNT(*) FROM cases_cases c WHERE c.closed_at >= $1 AND c.closed_at < $2 AND c.state = 'closed' GROUP BY d"),
            vec![first, now + DAY],
        ),
        ("SELECT n.state, COUNT(*) FROM needs_needs n GROUP BY n.state".into(), vec![]),
        (
            "SELECT COUNT(DISTINCT k.id) FROM needs_contracts k JOIN needs_calls c ON c.id = k.call_id WHERE k.state = 'active'"
                .into(),
            vec![],
        ),
        (
            "SELECT COUNT(CASE WHEN p.replied_at IS NOT NULL THEN 1 END), \
             COUNT(CASE WHEN p.replied_at <= p.reply_due THEN 1 END), COUNT(CASE WHEN p.rating_result <> '' THEN 1 END), \
             COUNT(CASE WHEN p.rating_result IN ('satisfied', 'basic') THEN 1 END) FROM consult_proposals p WHERE p.district_id = $1"
                .into(),
            vec![district],
        ),
    ];
    let mut lat = Vec::new();
    for i in 0..runs + 2 {
        let t = Instant::now();
        let mut rows = 0usize;
        for (q, binds) in &queries {
            let mut query = sqlx::query(q);
            for b in binds {
                query = query.bind(*b);
            }
            rows += query.fetch_all(&mut c).await?.len();
        }
        anyhow::ensure!(rows > 0, "the baseline found no rows");
        if i >= 2 {
            lat.push(t.elapsed());
        }
    }
    c.close().await?;
    Ok(latency_json(lat))
}

/// Checks that the overview saw the seeded district (so the timing is of real work).
pub fn check(body: &Value, orgs: usize) -> anyhow::Result<()> {
    let seen = body["orgs"].as_i64().unwrap_or(0);
    anyhow::ensure!(
        seen as usize >= orgs,
        "the overview counted {seen} organisations, fewer than the {orgs} seeded: {body}"
    );
    Ok(())
}
