//! Demo data for `serve --demo`: case categories with time limits, a holiday calendar,
//! about sixty cases in every state spread over the last five weeks, an Open311 key, and
//! two staff accounts (a centre operator and a department worker). All text is invented.

use crate::calendar::{DayKind, parse_day};
use crate::intake::{self, NewCase};
use crate::model::{self, Attribute, AttributeValue, Priority, Satisfaction, Source};
use crate::workflow::{self, Op};
use gov_core::{GovActor, MemberRole, ScopeFilter, UnitKind, list_units};
use platform::AppState;
use platform::auth::Role;
use platform::rng::Rng;

/// (code, parent code, name, English name, description, days normal/urgent/critical,
/// route kind, fixed unit code)
type CategorySeed = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [i64; 3],
    &'static str,
    &'static str,
);

const CATEGORIES: [CategorySeed; 11] = [
    (
        "city",
        "",
        "市容环境",
        "City environment",
        "道路、照明、环境卫生等城市管理问题",
        [5, 2, 1],
        "community",
        "",
    ),
    (
        "community",
        "",
        "社区事务",
        "Community affairs",
        "邻里、噪声、帮扶等社区层面的事务",
        [5, 2, 1],
        "community",
        "",
    ),
    (
        "safety",
        "",
        "公共安全",
        "Public safety",
        "消防、违建等需要街道统筹的安全隐患",
        [3, 1, 1],
        "street",
        "",
    ),
    (
        "road-damage",
        "city",
        "道路破损",
        "Damaged road",
        "路面坑洼、井盖缺失、人行道砖松动",
        [5, 2, 1],
        "fixed",
        "YXD06",
    ),
    (
        "street-light",
        "city",
        "路灯故障",
        "Street light out",
        "路灯不亮、常亮或灯杆倾斜",
        [3, 1, 1],
        "fixed",
        "YXD06",
    ),
    (
        "garbage",
        "city",
        "垃圾堆放",
        "Rubbish left out",
        "垃圾未及时清运、乱堆乱放",
        [3, 1, 1],
        "community",
        "",
    ),
    (
        "noise",
        "community",
        "噪声扰民",
        "Noise",
        "施工、商铺或楼上楼下的噪声",
        [3, 1, 1],
        "community",
        "",
    ),
    (
        "neighbour-dispute",
        "community",
        "邻里纠纷",
        "Neighbour dispute",
        "需要调解的邻里矛盾",
        [10, 3, 1],
        "community",
        "",
    ),
    (
        "elderly-help",
        "community",
        "困难老人帮扶",
        "Help for an elderly resident",
        "独居、失能老人需要上门帮助",
        [5, 2, 1],
        "community",
        "",
    ),
    (
        "fire-hazard",
        "safety",
        "消防隐患",
        "Fire hazard",
        "楼道堆物、通道堵塞、私拉电线",
        [3, 1, 1],
        "street",
        "",
    ),
    (
        "illegal-building",
        "safety",
        "违章搭建",
        "Unauthorised building",
        "屋顶、院落或公共空间的违规搭建",
        [10, 5, 2],
        "street",
        "",
    ),
];

fn attributes(code: &str) -> Vec<Attribute> {
    let list = |code: &str, desc: &str, required: bool, values: &[(&str, &str)]| Attribute {
        code: code.into(),
        datatype: "singlevaluelist".into(),
        required,
        description: desc.into(),
        values: values
            .iter()
            .map(|(k, n)| AttributeValue {
                key: (*k).into(),
                name: (*n).into(),
            })
            .collect(),
    };
    match code {
        "road-damage" => vec![list(
            "size",
            "破损大约有多大？",
            false,
            &[
                ("small", "一块砖大小"),
                ("medium", "一张桌子大小"),
                ("large", "占半条车道以上"),
            ],
        )],
        "fire-hazard" => vec![list(
            "place_type",
            "隐患在哪里？",
            true,
            &[
                ("stairwell", "楼道或消防通道"),
                ("shop", "沿街商铺"),
                ("other", "其他地方"),
            ],
        )],
        _ => vec![],
    }
}

const HOLIDAYS: [(&str, &str, &str); 7] = [
    ("2027-01-01", "holiday", "元旦"),
    ("2027-02-15", "holiday", "春节"),
    ("2027-02-16", "holiday", "春节"),
    ("2027-02-17", "holiday", "春节"),
    ("2027-02-18", "holiday", "春节"),
    ("2027-02-19", "holiday", "春节"),
    ("2027-02-20", "workday", "春节调休上班"),
];

const STORIES: [(&str, &str); 12] = [
    (
        "road-damage",
        "小区门口的人行道有几块砖翘起来了，早上已经有老人绊倒。",
    ),
    (
        "street-light",
        "河边步道的三盏路灯连续一周晚上不亮，散步的居民很多。",
    ),
    (
        "garbage",
        "菜市场后门的垃圾两天没人清运，味道很大，请尽快处理。",
    ),
    (
        "noise",
        "楼下新开的烧烤店每晚营业到凌晨两点，噪声影响休息。",
    ),
    (
        "neighbour-dispute",
        "楼上住户装修漏水到我家天花板，协商多次没有结果。",
    ),
    (
        "elderly-help",
        "隔壁独居的八十岁老人最近行动不便，买菜取药都很困难。",
    ),
    (
        "fire-hazard",
        "单元楼道里堆满了纸箱和旧家具，挡住了消防通道。",
    ),
    ("illegal-building", "顶楼住户在楼顶平台加盖了一间彩钢房。"),
    (
        "road-damage",
        "公交站旁边的雨水井盖松动，车辆经过时响声很大。",
    ),
    ("garbage", "小区绿化带里有人倾倒建筑垃圾。"),
    ("noise", "工地夜间施工，晚上十一点以后还在打桩。"),
    (
        "street-light",
        "学校门口的路灯灯杆被车撞歪了，有倒下的危险。",
    ),
];

/// Categories the demo publishes on Open311, with the neutral text the centre approves for
/// each accepted case (never the resident's own words).
const PUBLISHED: [(&str, &str); 3] = [
    ("road-damage", "道路设施破损，已受理，正在安排维修。"),
    ("street-light", "路灯故障，已受理，正在安排维修。"),
    ("garbage", "垃圾清运问题，已受理，正在安排清理。"),
];

fn approved_text(code: &str) -> String {
    PUBLISHED
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, t)| t.to_string())
        .unwrap_or_default()
}

/// Seeds the centre's demo data; returns the staff accounts it made (name, password, scope).
pub async fn seed(
    state: &AppState,
    password: &mut dyn FnMut() -> String,
) -> anyhow::Result<Vec<(String, String, String)>> {
    let db = &state.db;
    let units = list_units(db, &ScopeFilter(None)).await?;
    let Some(district) = units.iter().find(|u| u.kind == UnitKind::District).cloned() else {
        return Ok(vec![]);
    };
    for (i, (code, parent, name, en, desc, days, route, fixed)) in CATEGORIES.iter().enumerate() {
        let parent_id: Option<i64> = if parent.is_empty() {
            None
        } else {
            model::category_by_code(db, parent).await?.map(|c| c.id)
        };
        let fixed_id = units.iter().find(|u| u.code == *fixed).map(|u| u.id.0);
        sqlx::query(
            "INSERT INTO cases_categories (parent_id, code, name, name_en, description, keywords, \
             days_normal, days_urgent, days_critical, route_kind, route_unit_id, attributes, sort) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(parent_id)
        .bind(code)
        .bind(name)
        .bind(en)
        .bind(desc)
        .bind(name)
        .bind(days[0])
        .bind(days[1])
        .bind(days[2])
        .bind(route)
        .bind(fixed_id)
        .bind(serde_json::to_string(&attributes(code))?)
        .bind(i as i64)
        .execute(&db.pool)
        .await?;
    }
    for (code, _) in PUBLISHED {
        sqlx::query("UPDATE cases_categories SET public = 1 WHERE code = $1")
            .bind(code)
            .execute(&db.pool)
            .await?;
    }
    for (day, kind, note) in HOLIDAYS {
        let d = parse_day(day).expect("valid demo day");
        let k = DayKind::parse(kind).expect("valid kind");
        sqlx::query("INSERT INTO cases_calendar (day, kind, note) VALUES ($1, $2, $3)")
            .bind(d.format("%Y-%m-%d").to_string())
            .bind(k.as_str())
            .bind(note)
            .execute(&db.pool)
            .await?;
    }

    // Staff: a centre operator on the district, a worker in the city-management department.
    let mut accounts = Vec::new();
    let dept = units.iter().find(|u| u.code == "YXD06").cloned();
    let mut staff = vec![("centre_op", district.clone(), "综治信息中心 · worker")];
    if let Some(d) = &dept {
        staff.push(("dept_city", d.clone(), "区城市管理局 · worker"));
    }
    for (name, unit, what) in staff {
        let pw = password();
        let user = platform::auth::create_user(db, state.now(), name, &pw, Role::Member).await?;
        gov_core::grant_role(db, state.now(), None, user.id, &unit, MemberRole::Worker)
            .await
            .map_err(|e| anyhow::anyhow!("demo grant for {name}: {e}"))?;
        accounts.push((name.to_string(), pw, what.to_string()));
    }

    // Cases, filed and moved along by the platform admin, then spread over past weeks.
    let admin: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM platform_users WHERE role = 'admin' ORDER BY id LIMIT 1")
            .fetch_optional(&db.pool)
            .await?;
    let Some((admin_id,)) = admin else {
        return Ok(accounts);
    };
    let admin_user = platform::auth::find_user(db, admin_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo admin vanished"))?;
    let mut actor = GovActor::offline(Some(admin_user), vec![]);
    actor.base.ip = "demo".into();
    let communities: Vec<_> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Community)
        .cloned()
        .collect();
    let mut rng = Rng::new(311);
    let day = 24 * 3600 * 1000;
    for i in 0..60 {
        let (code, text) = STORIES[i % STORIES.len()];
        let category = model::category_by_code(db, code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo category {code}"))?;
        let place = communities[rng.range(0, communities.len() as i64 - 1) as usize].clone();
        let mut answers = std::collections::BTreeMap::new();
        if code == "fire-hazard" {
            answers.insert("place_type".to_string(), "stairwell".to_string());
        }
        let source = Source::ALL[i % Source::ALL.len()];
        let new = NewCase {
            attributes: intake::check_attributes(&category, &answers)?,
            category,
            source,
            priority: if i % 7 == 0 {
                Priority::Urgent
            } else {
                Priority::Normal
            },
            address: format!("{}{}号楼附近", place.name, rng.range(1, 30)),
            place,
            lat_lon_e6: None,
            description: text.to_string(),
            media_url: String::new(),
            photo: None,
            reporter_id: None,
            reporter_name: format!("居民{:03}", i + 1),
            reporter_phone: format!("000-{:04}-{:04}", rng.range(0, 9999), rng.range(0, 9999)),
            reporter_email: String::new(),
            client_id: None,
        };
        let case = intake::file(state, new).await?;
        // How far along: 0 reported … 7 closed with a return visit.
        let depth = rng.range(0, 7);
        let steps: Vec<Op> = [
            Op::Accept {
                note: String::new(),
                public_description: approved_text(code),
            },
            Op::Dispatch {
                lead: None,
                co: vec![],
                note: String::new(),
            },
            Op::Sign,
            Op::Handle {
                result: "已到现场处置完毕，并拍照留存。".into(),
                photo: None,
            },
            Op::Verify {
                ok: true,
                note: "回访核实属实。".into(),
            },
            Op::Close {
                note: String::new(),
            },
            Op::ReturnVisit {
                satisfaction: [
                    Satisfaction::Satisfied,
                    Satisfaction::Basic,
                    Satisfaction::Satisfied,
                    Satisfaction::Dissatisfied,
                ][i % 4],
                note: String::new(),
            },
        ]
        .into_iter()
        .take(depth as usize)
        .collect();
        for op in steps {
            // Signing for and handling are the lead unit's own steps (the admin cannot).
            let who = if matches!(op, Op::Sign | Op::Handle { .. }) {
                lead_unit_actor(state, &actor, case.id).await?
            } else {
                actor.clone()
            };
            if let Err(e) = workflow::apply(state, &who, case.id, op).await {
                tracing::debug!(case = case.id, error = %e, "demo case stops early");
                break;
            }
        }
        // Finished cases spread over five weeks; open ones are recent, a few overdue.
        let days_back = if depth >= 5 {
            rng.range(0, 34)
        } else {
            rng.range(0, 6)
        };
        backdate(state, case.id, days_back * day + rng.range(0, day / 2)).await?;
    }
    Ok(accounts)
}

/// The demo's admin acting as a worker of the case's lead unit.
async fn lead_unit_actor(state: &AppState, admin: &GovActor, id: i64) -> anyhow::Result<GovActor> {
    let lead = match model::find(&state.db, id)
        .await?
        .and_then(|c| c.lead_unit_id)
    {
        Some(l) => gov_core::find_unit(&state.db, gov_core::UnitId(l)).await?,
        None => None,
    };
    let mut who = admin.clone();
    who.grants = lead
        .into_iter()
        .map(|u| gov_core::Grant {
            unit_id: u.id,
            unit_name: u.name,
            path: u.path,
            role: MemberRole::Worker,
        })
        .collect();
    Ok(who)
}

/// Moves every time of a case (and its timeline) back by `ms`.
async fn backdate(state: &AppState, id: i64, ms: i64) -> anyhow::Result<()> {
    let cols = [
        "reported_at",
        "accepted_at",
        "dispatched_at",
        "responded_at",
        "respond_by",
        "return_by",
        "due_at",
        "handled_at",
        "closed_at",
        "updated_at",
    ];
    let set: Vec<String> = cols.iter().map(|c| format!("{c} = {c} - $1")).collect();
    sqlx::query(&format!(
        "UPDATE cases_cases SET {} WHERE id = $2",
        set.join(", ")
    ))
    .bind(ms)
    .bind(id)
    .execute(&state.db.pool)
    .await?;
    sqlx::query("UPDATE cases_events SET at = at - $1 WHERE case_id = $2")
        .bind(ms)
        .bind(id)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}
