//! Demo announcements: published ones from the district, streets and communities (so the
//! news pages and feeds have something to show) and one draft waiting for review.

use crate::model::{self, Draft, PostState};
use gov_core::{ScopeFilter, list_units};
use platform::AppState;
use platform::module::Demo;

/// (unit kind, kind, title, text, published?)
const POSTS: &[(&str, &str, &str, &str, bool)] = &[
    (
        "district",
        "notice",
        "2027 年度政府购买社会服务项目征集启动",
        "区民政局面向全区社会组织征集养老、助残、青少年和社区融合类服务项目。\n申报单位须已登记满一年、上年度年报按时提交。申报材料请通过“社会治理”栏目在线提交，截止日期为下月底。",
        true,
    ),
    (
        "district",
        "news",
        "网格化服务管理平台完成第三季度考评",
        "第三季度全区网格事件按时签收率和办结率均较上季度提高。考评结果已反馈到各街道，排名靠后的单位将接受专项督导。",
        true,
    ),
    (
        "street",
        "notice",
        "街道社区服务中心周末开放时间调整",
        "自下周起，街道社区服务中心周六上午照常开放，周日闭馆。老年人助餐点和儿童托管服务不受影响。",
        true,
    ),
    (
        "street",
        "news",
        "社会组织孵化基地迎来第五批入驻团队",
        "本批次共有四家社区社会组织入驻孵化基地，涉及邻里互助、垃圾分类宣传和青少年课后陪伴。基地将提供一年的场地、培训和财务指导。",
        true,
    ),
    (
        "community",
        "notice",
        "居民议事会议题征集：小区停车管理",
        "近期不少居民反映晚间停车难。社区居委会现征集议题建议，欢迎在本月 20 日前到社区服务站或通过线上渠道提出意见。",
        true,
    ),
    (
        "community",
        "news",
        "志愿者为独居老人上门检修电器",
        "上周末，社区志愿服务队分三组走访了 26 户独居老人家庭，检修电器、更换灯泡，并登记了下一步需要跟进的服务需求。",
        true,
    ),
    (
        "community",
        "notice",
        "（草稿）冬季消防安全检查安排",
        "社区将于下月初开展冬季消防安全检查，请各楼栋长提前通知住户清理楼道堆放物。",
        false,
    ),
];

pub async fn seed(state: &AppState, demo: &mut Demo) -> anyhow::Result<()> {
    let db = &state.db;
    let mut now = state.clock.now_ms() - 10 * 24 * 3600 * 1000;
    let (mut published_n, mut drafts) = (0, 0);
    // In the tree's own order: the district, 桂枝街道, 桂园社区 come first of their kinds.
    let units = list_units(db, &ScopeFilter(None)).await?;
    for (unit_kind, kind, title, body, published) in POSTS {
        let Some(unit) = units.iter().find(|u| u.kind.as_str() == *unit_kind) else {
            continue;
        };
        let checked = Draft {
            kind: (*kind).into(),
            title: (*title).into(),
            summary: String::new(),
            body: (*body).into(),
        }
        .check()
        .map_err(|(field, e)| anyhow::anyhow!("demo announcement {field}: {e}"))?;
        now += 36 * 3600 * 1000;
        let mut tx = db.begin().await?;
        let id =
            model::insert(&mut tx, unit.id.0, &unit.path, &checked, demo.admin.id, now).await?;
        if *published {
            model::transition(
                &mut tx,
                id,
                PostState::Draft,
                PostState::Published,
                demo.admin.id,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        if *published {
            published_n += 1
        } else {
            drafts += 1
        }
    }
    demo.notes.push(format!(
        "通知公告 / news: {published_n} published announcements at /news (feeds: /feeds/announcements.atom, .rss) and {drafts} draft to review"
    ));
    Ok(())
}
