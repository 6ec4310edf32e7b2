//! Demo data for `serve --demo`: an active service in every category of the taxonomy
//! (the unit's own where governance's demo has none), 36 needs in residents' words spread
//! over the communities and taken through every referral state, a community worker and a
//! provider account. All text is invented.

use crate::flow::{self, NewNeed, Step};
use crate::projects::{self, NewCall, NewContract, NewMilestone, Report};
use gov_core::{GovActor, Grant, MemberRole, OrgLink, ScopeFilter, UnitKind, UnitPath, list_units};
use platform::AppState;
use platform::auth::{Role, User};

/// (title, description, category or '', how far its first referral goes)
const NEEDS: &[(&str, &str, &str, &str)] = &[
    (
        "老人中午没人做饭",
        "独居的王奶奶儿女在外地，中午经常凑合吃点。",
        "",
        "completed",
    ),
    (
        "想给行动不便的父亲找人上门照顾",
        "父亲摔倒后卧床，白天家里没人。",
        "home_care",
        "in_progress",
    ),
    (
        "孩子放学没人接",
        "双职工家庭，孩子四点放学，家长六点半才下班。",
        "",
        "accepted",
    ),
    (
        "邻居楼上漏水一直谈不拢",
        "楼上装修后漏水，两家吵了好几次。",
        "",
        "completed",
    ),
    (
        "失业半年想找份工作",
        "四十多岁，以前在工厂上班。",
        "employment",
        "requested",
    ),
    (
        "想学用智能手机",
        "社区几位老人想学手机挂号和视频通话。",
        "",
        "requested",
    ),
    (
        "心情一直不好睡不着",
        "最近压力大，晚上失眠。",
        "",
        "on_hold",
    ),
    (
        "残疾人想做康复训练",
        "腿脚不便，需要定期康复。",
        "disability",
        "accepted",
    ),
    (
        "家里生活困难交不起房租",
        "丈夫生病，家里没有收入。",
        "relief",
        "rejected",
    ),
    ("想参加广场舞队", "退休后想找点活动。", "", "completed"),
    (
        "量血压测血糖",
        "几位老人有高血压，想定期测量。",
        "health",
        "failed",
    ),
    (
        "垃圾分类不会分",
        "小区新推垃圾分类，老人搞不清楚。",
        "",
        "cancelled",
    ),
    (
        "两岁宝宝白天没人带",
        "妈妈要回去上班。",
        "childcare",
        "requested",
    ),
    (
        "被拖欠工资想维权",
        "在工地干了三个月，老板一直拖欠工资。",
        "",
        "accepted",
    ),
    (
        "夫妻经常吵架想找人聊聊",
        "为孩子教育问题经常争吵。",
        "family",
        "requested",
    ),
    ("想当志愿者", "周末有空，想做点公益。", "", "completed"),
    (
        "水管坏了不会修",
        "独居老人家里水管漏水。",
        "",
        "in_progress",
    ),
    (
        "写字楼白领午休想有活动",
        "园区年轻人中午没有去处。",
        "office_workers",
        "requested",
    ),
    (
        "初中生沉迷游戏厌学",
        "孩子不愿意上学，家长管不了。",
        "",
        "rejected",
    ),
    (
        "老人白天家里没人照看",
        "子女上班，老人白天一个人在家。",
        "day_care",
        "requested",
    ),
    (
        "党员想参加组织活动",
        "刚转来组织关系，想参加社区党建活动。",
        "party_service",
        "completed",
    ),
    (
        "想学一门手艺再就业",
        "想学家政或者电工技能培训。",
        "",
        "requested",
    ),
    (
        "老伴去世后很孤独",
        "每天一个人在家，不愿出门。",
        "",
        "requested",
    ),
    (
        "腿脚不好需要送餐上门",
        "行动不便，下楼吃饭困难。",
        "meal_aid",
        "completed",
    ),
    (
        "楼道堆放杂物有异味",
        "楼道里长期堆放垃圾。",
        "environment",
        "requested",
    ),
    (
        "想给孩子报课后托管",
        "三年级，作业没人辅导。",
        "after_school",
        "requested",
    ),
    (
        "离婚财产问题想咨询律师",
        "不知道怎么分割房子。",
        "legal_aid",
        "requested",
    ),
    ("高龄老人需要定期探访", "九十岁老人独居。", "", "requested"),
    (
        "想找家政保洁",
        "老人家里需要定期打扫卫生。",
        "convenience",
        "requested",
    ),
    (
        "青少年暑期社会实践",
        "高中生想参加社区社会实践。",
        "youth",
        "requested",
    ),
    ("小区里没有老年活动室", "老人下棋打牌没有地方。", "", "none"),
    (
        "希望社区开设合唱团",
        "几位阿姨喜欢唱歌。",
        "culture_sports",
        "none",
    ),
    ("盲人出行需要帮助", "视力残疾，去医院需要人陪。", "", "none"),
    ("低保户冬天需要物资", "家里缺少棉被和取暖用品。", "", "none"),
    (
        "想举办邻里议事会",
        "停车难的问题想让居民一起商量。",
        "",
        "none",
    ),
    ("孩子叛逆不听话", "初二学生，经常和父母顶嘴。", "", "none"),
];

/// The path walked to reach each end state: (action, side is provider?).
fn path_to(end: &str) -> &'static [(&'static str, bool)] {
    match end {
        "accepted" => &[("accept", true)],
        "in_progress" => &[("accept", true), ("start", true)],
        "on_hold" => &[("accept", true), ("start", true), ("hold", true)],
        "completed" => &[
            ("accept", true),
            ("start", true),
            ("complete", true),
            ("feedback", false),
        ],
        "failed" => &[("accept", true), ("fail", true)],
        "rejected" => &[("reject", true)],
        "cancelled" => &[("cancel", false)],
        _ => &[],
    }
}

fn actor(user: &User, grants: Vec<Grant>, org_links: Vec<OrgLink>) -> GovActor {
    GovActor {
        base: platform::Actor {
            user: Some(user.clone()),
            lang: platform::web::Lang::Zh,
            csrf: String::new(),
            ip: "127.0.0.1".into(),
            session_token: None,
        },
        grants,
        org_links,
    }
}

/// Gives every category without an active service one, offered by the first community
/// (written through governance's own service functions).
async fn fill_categories(state: &AppState, unit: i64) -> anyhow::Result<()> {
    use governance::network::service::{ServiceInput, insert_service, validate_service};
    let now = state.now();
    for (code, name) in governance::reads::uncovered_terms(&state.db).await? {
        let input = ServiceInput {
            unit_id: Some(unit),
            name: Some(format!("社区{name}")),
            description: Some(format!("社区居委会直接提供的{name}，预约后安排。")),
            schedule: Some("工作日 09:00–17:00".into()),
            capacity: Some(20),
            status: Some("active".into()),
            categories: Some(vec![code]),
            ..ServiceInput::default()
        };
        let draft = validate_service(&input).map_err(|e| anyhow::anyhow!("demo service: {e}"))?;
        let mut tx = state.db.begin().await?;
        insert_service(&mut tx, None, now, &draft, None)
            .await
            .map_err(|e| anyhow::anyhow!("demo service: {e}"))?;
        tx.commit().await?;
    }
    Ok(())
}

pub async fn seed(
    state: &AppState,
    password: &mut dyn FnMut() -> String,
) -> anyhow::Result<Vec<(String, String, String)>> {
    let db = &state.db;
    let units = list_units(db, &ScopeFilter(None)).await?;
    let communities: Vec<_> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Community)
        .cloned()
        .collect();
    let Some(first) = communities.first().cloned() else {
        return Ok(vec![]);
    };
    fill_categories(state, first.id.0).await?;
    let admin: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM platform_users WHERE role = 'admin' ORDER BY id LIMIT 1")
            .fetch_optional(&db.pool)
            .await?;
    let Some((admin_id,)) = admin else {
        return Ok(vec![]);
    };
    let admin = platform::auth::find_user(db, admin_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo admin vanished"))?;
    let referrer = actor(&admin, Vec::new(), Vec::new());
    for (i, (title, desc, cat, end)) in NEEDS.iter().enumerate() {
        let unit = &communities[i % communities.len()];
        let n = NewNeed {
            title: Some(title.to_string()),
            description: Some(desc.to_string()),
            category: Some(cat.to_string()),
            unit_id: Some(unit.id.0),
            people: Some(1 + (i as i64 % 3)),
            urgency: Some(["normal", "high", "low"][i % 3].into()),
            subject: Some(format!("居民{}（电话 000-{:08}）", i + 1, 10_000 + i)),
            raised_as: Some(["grid_worker", "resident", "community"][i % 3].into()),
            consent: Some(true),
            ..NewNeed::default()
        };
        let Ok((need, _)) = flow::raise(state, &referrer, &n).await? else {
            continue;
        };
        if *end == "none" {
            continue;
        }
        let need_row = crate::model::find_need(db, need)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo need vanished"))?;
        let matches = crate::matching::matches(db, &need_row, 5).await?;
        let Some(top) = matches
            .into_iter()
            .find(|m| m.capacity != crate::matching::Capacity::No)
        else {
            continue;
        };
        let r = flow::refer(state, &referrer, need, top.service_id, true, "")
            .await
            .map_err(|e| anyhow::anyhow!("demo referral: {e}"))?;
        let provider = match r.organization_id {
            Some(org) => actor(
                &admin,
                Vec::new(),
                vec![OrgLink {
                    org_id: org,
                    org_name: r.organization_name.clone(),
                    unit_path: first.path.clone(),
                }],
            ),
            None => {
                let path = UnitPath::parse(&r.service_unit_path).unwrap_or(first.path.clone());
                let grant = Grant {
                    unit_id: first.id,
                    unit_name: String::new(),
                    path,
                    role: MemberRole::Worker,
                };
                actor(&admin, vec![grant], Vec::new())
            }
        };
        for (action, by_provider) in path_to(end) {
            let step = Step {
                action: Some(action.to_string()),
                reason: Some(match *action {
                    "reject" => "at_capacity".into(),
                    "fail" => "居民临时搬离本社区".into(),
                    "complete" => "已按计划提供服务".into(),
                    _ => String::new(),
                }),
                rating: Some(5 - (i as i64 % 2)),
                comment: Some("服务很及时，谢谢。".into()),
            };
            let who = if *by_provider { &provider } else { &referrer };
            flow::act(state, who, r.id, &step)
                .await
                .map_err(|e| anyhow::anyhow!("demo step {action}: {e}"))?;
        }
    }
    projects_demo(state, &referrer, &units).await?;
    // A community worker who refers, and a provider who answers.
    let mut accounts = Vec::new();
    let pw = password();
    let worker =
        platform::auth::create_user(db, state.now(), "needs_worker", &pw, Role::Member).await?;
    gov_core::grant_role(db, state.now(), None, worker.id, &first, MemberRole::Worker)
        .await
        .map_err(|e| anyhow::anyhow!("demo grant: {e}"))?;
    accounts.push((
        "needs_worker".to_string(),
        pw,
        format!("{} · 需求对接 worker", first.name),
    ));
    let org: Option<(i64,)> = sqlx::query_as(
        "SELECT org_id FROM needs_referrals WHERE org_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?;
    let named = match org {
        Some((org,)) => governance::reads::org_names(db, &[org])
            .await?
            .remove(&org)
            .map(|name| (org, name)),
        None => None,
    };
    if let Some((org, name)) = named {
        let pw = password();
        platform::auth::create_user(db, state.now(), "needs_provider", &pw, Role::Member).await?;
        governance::reads::link_staff(state, None, org, "needs_provider")
            .await
            .map_err(|e| anyhow::anyhow!("demo provider: {e}"))?;
        accounts.push((
            "needs_provider".to_string(),
            pw,
            format!("{name} · 服务提供方"),
        ));
    }
    Ok(accounts)
}

fn criterion(name: &str, weight: i64, in_total: bool) -> crate::projects_review::Criterion {
    crate::projects_review::Criterion {
        name: name.into(),
        weight,
        in_total,
    }
}

/// Two calls from the district: one awarded with three milestones, the first met and paid;
/// one still open.
async fn projects_demo(
    state: &AppState,
    admin: &GovActor,
    units: &[gov_core::Unit],
) -> anyhow::Result<()> {
    let Some(district) = units.iter().find(|u| u.kind == UnitKind::District) else {
        return Ok(());
    };
    let Some(org) = governance::reads::first_org(&state.db).await? else {
        return Ok(());
    };
    let err = |e: crate::error::NeedError| anyhow::anyhow!("demo project: {e}");
    let call = |title: &str, cats: &[&str], budget: i64| NewCall {
        title: Some(title.into()),
        description: Some(format!("{title}：面向社会组织公开征集，按需求缺口设立。")),
        categories: Some(cats.iter().map(|c| c.to_string()).collect()),
        unit_id: Some(district.id.0),
        budget_fen: Some(budget),
        opens_on: Some("2026-03-01".into()),
        closes_on: Some("2026-03-31".into()),
        min_grade: Some(2),
        min_years: Some(2),
        report_required: Some(true),
        criteria: Some(vec![
            criterion("实施方案", 40, true),
            criterion("团队与经验", 30, true),
            criterion("预算合理性", 30, true),
            criterion("创新性（仅供参考）", 10, false),
        ]),
        blind: None,
    };
    let first = projects::open_call(
        state,
        admin,
        &call(
            "2026 年长者助餐服务项目",
            &["meal_aid", "home_care"],
            30_000_000,
        ),
    )
    .await
    .map_err(err)?;
    // The second call is reviewed blind: reviewers see no applicant's name until final.
    let mut youth = call(
        "2026 年青少年心理支持项目",
        &["counselling", "youth"],
        12_000_000,
    );
    youth.blind = Some(true);
    // Open for applications from today for two months, whenever the demo is started.
    let today = platform::clock::local_day(state.now());
    youth.opens_on = Some(today.format("%Y-%m-%d").to_string());
    youth.closes_on = Some(
        (today + chrono::Days::new(60))
            .format("%Y-%m-%d")
            .to_string(),
    );
    projects::open_call(state, admin, &youth)
        .await
        .map_err(err)?;
    let milestone = |t: &str, d: &str, a: i64| NewMilestone {
        title: Some(t.into()),
        due_on: Some(d.into()),
        amount_fen: Some(a),
    };
    let contract = NewContract {
        org_id: Some(org),
        title: Some("长者助餐配送服务合同".into()),
        reason: Some("评审综合得分最高，覆盖社区最多，往期转介完成率高。".into()),
        milestones: Some(vec![
            milestone("助餐点开放并完成首月配送", "2026-04-30", 9_000_000),
            milestone("中期评估", "2026-08-31", 12_000_000),
            milestone("终期评估与总结", "2026-12-31", 6_000_000),
        ]),
    };
    let k = projects::award(state, admin, first, &contract)
        .await
        .map_err(err)?;
    let (m,): (i64,) = sqlx::query_as(
        "SELECT id FROM needs_milestones WHERE contract_id = $1 ORDER BY sort LIMIT 1",
    )
    .bind(k)
    .fetch_one(&state.db.pool)
    .await?;
    let report = Report {
        status: Some("met".into()),
        evidence: Some("首月配送 2,310 份，附签收记录与回访表。".into()),
    };
    projects::report(state, admin, m, &report)
        .await
        .map_err(err)?;
    projects::pay(state, admin, m).await.map_err(err)?;
    let midterm = crate::evaluation::NewEvaluation {
        kind: Some("midterm".into()),
        score: Some(86),
        summary: Some("配送准时，覆盖的老人比计划多；回访记录还需补齐。".into()),
    };
    crate::evaluation::evaluate(state, admin, k, &midterm)
        .await
        .map_err(err)?;
    Ok(())
}
