//! Demo annual reports, deadlines and grade assessments for `serve --demo`: most
//! organisations reported on time, a few are pending, returned or overdue (so the
//! abnormal-activity list is not empty), and about two in five carry a grade, some lapsed.
//! Dates are relative to the clock's today, so the demo tells the same story any day.

use crate::dates::Day;
use crate::registry::demo::Plan;
use crate::registry::grades::Cutoffs;
use crate::registry::grades::GRADE_VALID_YEARS;
use crate::registry::grades::SECTIONS;
use platform::db::Tx;
use platform::rng::Rng;

const ACTIVITIES: [&str; 5] = [
    "全年围绕社区居民需求开展服务：组织邻里互助小组，开展健康讲座与文体活动，招募并培训志愿者，服务对象满意度较高。",
    "本年度重点推进助老与助餐项目，定期上门探访独居老人，联合社区卫生服务站开展义诊，并完成年度财务审计。",
    "开展青少年课后陪伴与假期营活动，组织家庭教育讲座，建立志愿者积分制度，活动记录与经费使用已公开。",
    "承接街道购买服务项目，开展矛盾调解与法律咨询，协助处理邻里纠纷，整理服务台账并接受第三方评估。",
    "组织会员单位交流培训，举办公益市集与主题活动，完善理事会议事规则，按章程召开会员大会。",
];

pub async fn seed(tx: &mut Tx, now: i64, plan: &Plan, org_ids: &[i64]) -> anyhow::Result<()> {
    let mut rng = Rng::new(0x5EED_0A11);
    let today = Day::at(now);
    let (last, before) = (today.year() - 1, today.year() - 2);
    // The year before last is long closed; last year's deadline is 30 June of this year
    // (passed in the second half of the year, still open in the first).
    for (year, due) in [
        (before, format!("{}-06-30", before + 1)),
        (last, format!("{}-06-30", last + 1)),
    ] {
        sqlx::query(
            "INSERT INTO governance_report_deadlines (year, due_on, set_by, set_at) VALUES ($1, $2, NULL, $3)",
        )
        .bind(year)
        .bind(due)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    let cut = Cutoffs([500, 600, 700, 800, 900]);
    for (po, id) in plan.orgs.iter().zip(org_ids) {
        let registered = po.input.registered_on.clone().unwrap_or_default();
        let staff = po.input.staff_count.unwrap_or(0);
        let volunteers = po.input.volunteers.unwrap_or(0);
        for year in [before, last] {
            if registered > format!("{year}-12-31") {
                continue;
            }
            // Outcome: accepted, pending, returned, or nothing (overdue once the deadline passes).
            let roll = rng.range(1, 100);
            let status = match (year == last, roll) {
                (false, 1..=96) => "accepted",
                (false, _) => continue,
                (true, 1..=80) => "accepted",
                (true, 81..=88) => "submitted",
                (true, 89..=92) => "returned",
                (true, _) => continue,
            };
            // Sent in the spring after the year, reviewed a week later (never after today).
            let spring = Day::parse(&format!("{}-03-01", year + 1)).expect("a valid demo date");
            let submitted_at =
                (spring.start_ms() + rng.range(0, 110) * 86_400_000).min(now - 86_400_000 * 8);
            let note = match status {
                "returned" => "收支数据与活动记录不一致，请核对后补充说明并重新报送。",
                "accepted" => "材料齐全，审核通过。",
                _ => "",
            };
            sqlx::query(
                "INSERT INTO governance_annual_reports (org_id, year, status, activities, events, beneficiaries, \
                 income_yuan, expenditure_yuan, staff_count, volunteers, late, returns, submitted_by, submitted_at, \
                 reviewed_by, reviewed_at, review_note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, NULL, $12, NULL, $13, $14)",
            )
            .bind(*id)
            .bind(year)
            .bind(status)
            .bind(rng.pick(&ACTIVITIES))
            .bind(rng.range(6, 80))
            .bind(rng.range(100, 6000))
            .bind(rng.range(20_000, 900_000))
            .bind(rng.range(15_000, 850_000))
            .bind(staff)
            .bind(volunteers)
            .bind(i64::from(status == "returned"))
            .bind(submitted_at)
            .bind(if status == "submitted" { 0 } else { submitted_at + 86_400_000 * 7 })
            .bind(note)
            .execute(&mut **tx)
            .await?;
        }
        if rng.chance(40) {
            // Assessed some time in the last seven years: those older than five have lapsed.
            let years_ago = rng.range(0, 6);
            let month = rng.range(3, 11);
            let mut on = Day::parse(&format!("{}-{month:02}-15", today.year() - years_ago))
                .expect("a valid demo date");
            if on > today {
                on = on.plus_years(-1);
            }
            if registered > on.to_string() {
                continue;
            }
            let quality = rng.range(55, 98);
            let scores: Vec<i64> = SECTIONS
                .iter()
                .map(|(_, _, _, max)| {
                    (max * (quality + rng.range(-6, 6)).clamp(30, 100) / 100).min(*max)
                })
                .collect();
            let total: i64 = scores.iter().sum();
            sqlx::query(
                "INSERT INTO governance_assessments (org_id, assessed_on, score_basic, score_governance, \
                 score_performance, score_reputation, total, grade, valid_until, note, assessed_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11)",
            )
            .bind(*id)
            .bind(on.to_string())
            .bind(scores[0])
            .bind(scores[1])
            .bind(scores[2])
            .bind(scores[3])
            .bind(total)
            .bind(cut.grade(total))
            .bind(on.plus_years(GRADE_VALID_YEARS).to_string())
            .bind("区社会组织评估委员会实地评估。")
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}
