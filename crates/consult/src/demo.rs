//! Demo data for `serve --demo`: the proposals office and two members of two sectors, 26
//! proposals — two in every state of their handling — and in 桂园社区 the demo `reader` as
//! a verified resident, one open vote and one closed with its result. All text is invented.

use crate::model::{self, State};
use crate::people;
use crate::votes::{self, Rule, Spec};
use crate::workflow::{self, NewProposal, Step};
use gov_core::{MemberRole, ScopeFilter, UnitKind, list_units};
use platform::AppState;
use platform::auth::Role;
use platform::module::Demo;
use sqlx::Row;

const TITLES: [&str; 13] = [
    "关于加快老旧小区加装电梯的提案",
    "关于完善社区养老服务网络的提案",
    "关于规范共享单车停放管理的提案",
    "关于推进垃圾分类源头减量的提案",
    "关于加强中小学课后服务的提案",
    "关于优化营商环境助力小微企业的提案",
    "关于提升背街小巷环境品质的提案",
    "关于加强社区心理健康服务的提案",
    "关于建设口袋公园的提案",
    "关于改善学校周边交通秩序的提案",
    "关于支持社区文化活动阵地建设的提案",
    "关于加强食品小作坊监管的提案",
    "关于完善农贸市场便民设施的提案",
];

/// The states in the order the demo creates them (a filed proposal exists before one is
/// merged into it).
const TARGETS: [State; 13] = [
    State::Filed,
    State::Submitted,
    State::Declined,
    State::Merged,
    State::Assigned,
    State::ReturnRequested,
    State::Handling,
    State::Drafted,
    State::Countersigned,
    State::Checked,
    State::Replied,
    State::SecondHandling,
    State::Closed,
];

async fn user(state: &AppState, demo: &mut Demo, name: &str, what: &str) -> anyhow::Result<i64> {
    let password = (demo.password)();
    let u =
        platform::auth::create_user(&state.db, state.now(), name, &password, Role::Member).await?;
    demo.accounts.push((name.into(), password, what.into()));
    Ok(u.id)
}

async fn step(state: &AppState, id: i64, s: Step, by: i64) -> anyhow::Result<()> {
    let f = model::load(&state.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no proposal {id}"))?;
    let co: Vec<i64> = f.co_units.iter().map(|c| c.unit_id).collect();
    workflow::apply(state, &f, s, by, &co)
        .await
        .map_err(|e| anyhow::anyhow!("demo proposal {id}: {e}"))
}

pub async fn seed(state: &AppState, demo: &mut Demo) -> anyhow::Result<()> {
    let units = list_units(&state.db, &ScopeFilter(None)).await?;
    let Some(district) = units.iter().find(|u| u.kind == UnitKind::District) else {
        return Ok(());
    };
    let depts: Vec<_> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Department && district.path.contains(&u.path))
        .collect();
    if depts.len() < 3 {
        return Ok(());
    }
    let d = district.id.0;
    let now = state.now();
    let office = user(
        state,
        demo,
        "cppcc_office",
        "政协提案委员会办公室 the proposals office",
    )
    .await?;
    people::set_office(&state.db, office, d, now).await?;
    let m1 = user(
        state,
        demo,
        "cppcc_member1",
        "政协委员·经济界 CPPCC member, economy sector",
    )
    .await?;
    people::set_member(&state.db, m1, d, "经济界", now).await?;
    let m2 = user(
        state,
        demo,
        "cppcc_member2",
        "政协委员·教育界 CPPCC member, education sector",
    )
    .await?;
    people::set_member(&state.db, m2, d, "教育界", now).await?;

    let mut first_filed = None;
    for i in 0..26usize {
        let target = TARGETS[i % 13];
        let (by, sector, other) = if i % 2 == 0 {
            (m1, "经济界", "cppcc_member2")
        } else {
            (m2, "教育界", "cppcc_member1")
        };
        let joint = i % 3 == 0;
        let new = NewProposal {
            title: format!("{}（{}）", TITLES[i % 13], i / 13 + 1),
            body: format!(
                "{}。调研发现，群众对此反映集中，相关工作仍有短板。建议区有关部门统筹资源、明确责任、限期推进，并向社会公开进展。",
                TITLES[i % 13].trim_end_matches("的提案")
            ),
            kind: ["member", "sector", "party_group", "committee"][i % 4].into(),
            cosigners: if joint {
                vec![other.into()]
            } else {
                Vec::new()
            },
            consent: i % 4 != 3,
        };
        let id = workflow::submit(state, by, d, sector, new)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let cosigner = if i % 2 == 0 { m2 } else { m1 };
        if joint && target != State::Submitted {
            step(state, id, Step::Cosign, cosigner).await?;
        }
        if target == State::Submitted {
            continue;
        }
        match target {
            State::Declined => {
                let reason = if i % 2 == 0 { "returned" } else { "forwarded" };
                step(
                    state,
                    id,
                    Step::Decline {
                        reason: reason.into(),
                        note: "不属于本区职责范围".into(),
                    },
                    office,
                )
                .await?;
                continue;
            }
            State::Merged => {
                let into = first_filed.unwrap_or(id - 1);
                step(state, id, Step::Merge { into }, office).await?;
                continue;
            }
            _ => {}
        }
        step(state, id, Step::File, office).await?;
        if target == State::Filed {
            first_filed.get_or_insert(id);
            continue;
        }
        let lead = depts[i % depts.len()];
        let co = depts[(i + 1) % depts.len()];
        step(
            state,
            id,
            Step::Assign {
                lead_unit_id: lead.id.0,
                co_unit_ids: vec![co.id.0],
            },
            office,
        )
        .await?;
        let lead_staff = gov_core::unit_staff(&state.db, lead.id, MemberRole::Worker)
            .await?
            .first()
            .copied()
            .unwrap_or(demo.admin.id);
        let co_staff = gov_core::unit_staff(&state.db, co.id, MemberRole::Worker)
            .await?
            .first()
            .copied()
            .unwrap_or(demo.admin.id);
        if target == State::Assigned {
            continue;
        }
        if target == State::ReturnRequested {
            step(
                state,
                id,
                Step::RequestReturn {
                    reason: "该事项主要由其他部门负责".into(),
                },
                lead_staff,
            )
            .await?;
            continue;
        }
        step(state, id, Step::Sign, lead_staff).await?;
        step(
            state,
            id,
            Step::Opinion {
                text: "同意主办单位意见，将配合做好相关工作。".into(),
            },
            co_staff,
        )
        .await?;
        if target == State::Handling {
            continue;
        }
        let class = ["A", "B", "C"][i % 3];
        let reply = format!(
            "感谢您的提案。我单位高度重视，经认真研究，{}。",
            match class {
                "A" => "所提建议已全部采纳并落实到位",
                "B" => "相关事项已列入明年工作计划，将分步实施",
                _ => "因条件暂不具备，建议留作今后工作参考",
            }
        );
        step(
            state,
            id,
            Step::Draft {
                reply,
                class: class.into(),
            },
            lead_staff,
        )
        .await?;
        if target == State::Drafted {
            continue;
        }
        step(state, id, Step::Countersign, lead_staff).await?;
        if target == State::Countersigned {
            continue;
        }
        step(state, id, Step::Check { class: None }, office).await?;
        if target == State::Checked {
            continue;
        }
        step(state, id, Step::Reply, lead_staff).await?;
        match target {
            State::SecondHandling => {
                step(
                    state,
                    id,
                    Step::Rate {
                        work: "basic".into(),
                        result: "unsatisfied".into(),
                    },
                    by,
                )
                .await?;
            }
            State::Closed => {
                step(
                    state,
                    id,
                    Step::Rate {
                        work: "satisfied".into(),
                        result: if i % 2 == 0 { "satisfied" } else { "basic" }.into(),
                    },
                    by,
                )
                .await?;
            }
            _ => {}
        }
    }
    seed_activities(state, d, &depts).await?;
    seed_votes(state, demo, &units).await?;
    demo.notes.push(
        "共商 Consultation: /consultation — 26 demo proposals (2 in every state), the public register at /consultation/register; \
         reader is a verified resident of 桂园社区 with one open vote; its matters at /consultation/matters."
            .into(),
    );
    Ok(())
}

/// One activity of each kind with both members, minutes, and follow-up actions (one done).
async fn seed_activities(
    state: &AppState,
    district: i64,
    depts: &[&gov_core::Unit],
) -> anyhow::Result<()> {
    use crate::activities::{KINDS, NewActivity, assign_followup, record};
    let err = |e: crate::error::ConsultError| anyhow::Error::new(e).context("demo activity");
    let plans = [
        (
            "经济界别座谈会：小微企业融资难",
            "区政协经济界",
            "",
            "融资担保；贷款贴息",
        ),
        (
            "十届常委会第五次会议",
            "区政协常委会",
            "",
            "审议年度提案办理情况报告",
        ),
        (
            "主席视察：老旧小区改造",
            "区政协主席会议",
            "桂园社区；枫林社区；南苑社区",
            "改造进度；加装电梯",
        ),
        (
            "专题调研：社区养老服务",
            "区政协社会法制委",
            "区民政局；区卫生健康局",
            "助餐点覆盖；上门服务",
        ),
    ];
    for (i, (title, organiser, places, agenda)) in plans.iter().enumerate() {
        let a = NewActivity {
            district_id: Some(district),
            kind: KINDS[i].into(),
            title: (*title).into(),
            held_on: format!("2026-{:02}-15", 3 + 2 * i),
            organiser: (*organiser).into(),
            agenda: (*agenda).into(),
            places: (*places).into(),
            participants: vec!["cppcc_member1".into(), "cppcc_member2".into()],
        };
        let id = record(state, district, &a, None).await.map_err(err)?;
        sqlx::query("UPDATE consult_activities SET minutes = $1, findings = $2 WHERE id = $3")
            .bind("与会委员逐一发言，相关部门现场回应。")
            .bind("问题清单已形成，建议列入重点协商议题。")
            .bind(id)
            .execute(&state.db.pool)
            .await?;
        sqlx::query("UPDATE consult_participants SET signed_in_at = $1 WHERE activity_id = $2")
            .bind(state.now())
            .bind(id)
            .execute(&state.db.pool)
            .await?;
        let f = assign_followup(
            state,
            id,
            district,
            depts[i % depts.len()].id.0,
            "根据活动发现的问题制定整改措施并报送",
        )
        .await
        .map_err(err)?;
        if i % 2 == 0 {
            sqlx::query("UPDATE consult_followups SET done_at = $1, done_note = '整改措施已报送' WHERE id = $2")
                .bind(state.now())
                .bind(f)
                .execute(&state.db.pool)
                .await?;
        }
    }
    Ok(())
}

async fn seed_votes(
    state: &AppState,
    demo: &mut Demo,
    units: &[gov_core::Unit],
) -> anyhow::Result<()> {
    let Some(gy) = units
        .iter()
        .find(|u| u.kind == UnitKind::Community && u.name == "桂园社区")
    else {
        return Ok(());
    };
    let now = state.now();
    let row = sqlx::query("SELECT id FROM platform_users WHERE username = 'reader'")
        .fetch_optional(&state.db.pool)
        .await?;
    let reader: Option<i64> = row.map(|r| r.try_get("id")).transpose()?;
    if let Some(reader) = reader {
        people::verify_resident(
            &state.db,
            reader,
            gy.id.0,
            "3栋2单元201室",
            Some(demo.admin.id),
            now,
        )
        .await?;
    }
    let err = |e: crate::error::ConsultError| anyhow::Error::new(e).context("demo vote");
    let closed = votes::create(
        &state.db,
        gy.id.0,
        gy.path.as_str(),
        &Spec {
            title: "小区公共收益使用方案表决".into(),
            body: "公共收益 12 万元的使用方案，每户一票。".into(),
            rule: Rule::Household,
            options: vec![
                "用于更换单元门禁".into(),
                "用于增设电动车充电桩".into(),
                "暂存专户".into(),
            ],
        },
        Some(demo.admin.id),
        now,
    )
    .await
    .map_err(err)?;
    let vote = votes::find(&state.db, closed)
        .await?
        .ok_or_else(|| anyhow::anyhow!("vote"))?;
    // Residents who voted in the closed vote: accounts only for the demo's ballots.
    let mut neighbours = Vec::new();
    for n in 1..=7i64 {
        let name = format!("gy_resident{n}");
        let pw = platform::auth::generate_password();
        let u = platform::auth::create_user(&state.db, now, &name, &pw, Role::Member).await?;
        let household = format!("{}栋{}01室", n, n % 3 + 1);
        people::verify_resident(
            &state.db,
            u.id,
            gy.id.0,
            &household,
            Some(demo.admin.id),
            now,
        )
        .await?;
        let who = people::resident_in(&state.db, u.id, gy.path.as_str())
            .await?
            .ok_or_else(|| anyhow::anyhow!("resident"))?;
        neighbours.push((u.id, household.clone()));
        let option = vote.options[[0, 1, 1, 0, 1, 2, 1][(n - 1) as usize]].id;
        votes::cast(&state.db, &vote, &who, option, now)
            .await
            .map_err(err)?;
    }
    votes::close(&state.db, closed, now).await.map_err(err)?;
    seed_matters(state, gy, reader.unwrap_or(demo.admin.id), &neighbours, now).await?;
    votes::create(
        &state.db,
        gy.id.0,
        gy.path.as_str(),
        &Spec {
            title: "3栋加装电梯意见征集".into(),
            body: "本栋居民一人一票，表决是否同意加装电梯及费用分摊方案。".into(),
            rule: Rule::Resident,
            options: vec!["同意".into(), "不同意".into(), "弃权".into()],
        },
        Some(demo.admin.id),
        now,
    )
    .await
    .map_err(err)?;
    Ok(())
}

/// A demo matter: title, body, the stage it reached, its notices (stage, text), how many
/// were present and in favour at its meeting, and its minutes.
type MatterSeed = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    i64,
    i64,
    &'static str,
);

/// Two matters in 桂园社区: one decided and carried out (with its notices and minutes), one
/// whose meeting has been called, with supporters and two residents signed in from paper.
async fn seed_matters(
    state: &AppState,
    gy: &gov_core::Unit,
    proposer: i64,
    neighbours: &[(i64, String)],
    now: i64,
) -> anyhow::Result<()> {
    let day = 24 * 3600 * 1000;
    let done: &[(&str, &str)] = &[
        ("accepted", "居委会已受理该议题，将征求楼栋长意见。"),
        ("reviewed", "经审查，议题属于居民会议讨论范围。"),
        (
            "meeting_noticed",
            "本周六上午在社区活动室召开居民代表会议。",
        ),
        ("voting", "会上举手表决。"),
        ("resolved", "到会 36 人，赞成 29 人，决议通过。"),
        ("implemented", "新的垃圾分类投放点已于本月启用。"),
    ];
    let matters: [MatterSeed; 2] = [
        (
            "调整垃圾分类投放点位置",
            "现投放点紧邻 5 栋窗户，夏季异味明显，建议移至小区东门绿化带旁。",
            "implemented",
            done,
            36,
            29,
            "居民代表讨论了新位置的通行和清运时间，多数同意东门方案，物业负责改造。",
        ),
        (
            "楼道公共照明改为声控灯",
            "部分楼道长明灯耗电大且常损坏，建议统一更换为声控节能灯，费用从公共收益列支。",
            "meeting_noticed",
            &done[..3],
            0,
            0,
            "",
        ),
    ];
    for (i, (title, body, stage, notices, present, yes, minutes)) in matters.iter().enumerate() {
        let at = now - (20 - 10 * i as i64) * day;
        let id: i64 = sqlx::query(
            "INSERT INTO consult_matters (unit_id, unit_path, title, body, proposer_id, stage, present, in_favour, minutes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(gy.id.0)
        .bind(gy.path.as_str())
        .bind(title)
        .bind(body)
        .bind(proposer)
        .bind(stage)
        .bind(present)
        .bind(yes)
        .bind(minutes)
        .bind(at)
        .fetch_one(&state.db.pool)
        .await?
        .try_get("id")?;
        for (n, (stage, text)) in notices.iter().enumerate() {
            sqlx::query("INSERT INTO consult_matter_notices (matter_id, stage, text, at) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(stage)
                .bind(text)
                .bind(at + (n as i64 + 1) * day)
                .execute(&state.db.pool)
                .await?;
        }
        for (user, household) in neighbours.iter().take(5) {
            sqlx::query("INSERT INTO consult_matter_supports (matter_id, user_id, household) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(user)
                .bind(household)
                .execute(&state.db.pool)
                .await?;
        }
        if *stage == "meeting_noticed" {
            for (name, household) in [("陈阿姨", "2栋1单元302室"), ("刘师傅", "6栋2单元101室")]
            {
                let a = crate::meeting::Attendee {
                    key: format!("p:{household}/{name}"),
                    name: name.into(),
                    household: household.into(),
                    by_staff: true,
                    at: now,
                };
                crate::meeting::record(&state.db, id, &a, Some(proposer), now)
                    .await
                    .map_err(|e| anyhow::anyhow!("demo sign-in: {e}"))?;
            }
        }
    }
    Ok(())
}
