//! The one table of error codes: each code says its HTTP status and a default message in
//! both languages (`bi!`). Module errors map onto it, so a client reads the same code for
//! the same problem whichever module answered. Conflicts keep their own codes (a client
//! can tell "code taken" from "sign for it first" without reading the message).
//!
//! Add a code here, not a string literal at a call site.

use axum::http::StatusCode;

/// Declares [`Code`]: `Variant = "wire_code", STATUS, "中文", "English";` per line.
macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $status:ident, $zh:literal, $en:literal; )*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, for tests and documentation.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as clients see it in `{"error": {"code"}}`.
            pub const fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            pub const fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status,)* }
            }

            /// The default message, in both languages (`bi!`).
            pub const fn message(self) -> &'static str {
                match self { $(Code::$variant => $crate::bi!($zh, $en),)* }
            }
        }
    };
}

error_codes! {
    // Generic, one per status: what AppError's plain variants answer.
    Unauthorized = "unauthorized", UNAUTHORIZED, "请先登录。", "Sign in first.";
    Forbidden = "forbidden", FORBIDDEN, "您没有权限进行此操作。", "You are not allowed to do this.";
    NotFound = "not_found", NOT_FOUND, "未找到。", "Not found.";
    Conflict = "conflict", CONFLICT, "此操作与当前状态冲突，请刷新后重试。", "This clashes with the current state; reload and try again.";
    TooLarge = "too_large", PAYLOAD_TOO_LARGE, "内容超过了大小上限。", "This is larger than the limit.";
    Unsupported = "unsupported", UNSUPPORTED_MEDIA_TYPE, "不支持此文件类型。", "This file type is not supported.";
    RateLimited = "rate_limited", TOO_MANY_REQUESTS, "操作太频繁，请稍后再试。", "Too many requests; try again later.";
    Unavailable = "unavailable", SERVICE_UNAVAILABLE, "服务暂不可用，请稍后再试。", "The service is unavailable for a moment; try again.";
    Internal = "internal", INTERNAL_SERVER_ERROR, "服务器出错了，请稍后再试。", "Something went wrong on our side; please try again later.";

    // Bad input (400).
    /// A request body that is not the JSON the endpoint takes (see `ApiJson`).
    InvalidJson = "invalid_json", BAD_REQUEST, "请求体须为 JSON 对象。", "Send a JSON object.";
    InvalidField = "invalid_field", BAD_REQUEST, "有字段的值无效。", "A field has an invalid value.";
    MissingField = "missing_field", BAD_REQUEST, "请填写必填项。", "A required field is missing.";
    InvalidFilter = "invalid_filter", BAD_REQUEST, "筛选条件无效。", "A filter is invalid.";
    InvalidPaging = "invalid_paging", BAD_REQUEST, "页码或每页条数无效。", "page or per_page is invalid.";
    NoFile = "no_file", BAD_REQUEST, "请上传文件（multipart 字段 `file`）。", "The upload has no file: send it in a multipart field named `file`.";
    EmptyFile = "empty_file", BAD_REQUEST, "文件是空的。", "The file is empty.";

    // Conflicts with their own codes (409), and refusals a client acts on.
    /// A code (of a category, a unit, …) that another record already has.
    CodeTaken = "code_taken", CONFLICT, "代码已被使用。", "That code is taken.";
    /// A case step that needs the case signed for first.
    NotSigned = "not_signed", CONFLICT, "请先签收，再反馈办理结果。", "Sign for the case before reporting it handled.";
    /// A case step only the lead unit may take.
    LeadUnitOnly = "lead_unit_only", FORBIDDEN, "只有主办单位可以办理此步骤。", "Only the lead unit may take this step.";

    // publicity (issue 16)
    /// A picture that is not a JPEG, PNG or WebP image, or over the size limit.
    InvalidImage = "invalid_image", BAD_REQUEST, "图片须为 5 MB 以内的 JPEG、PNG 或 WebP。", "The picture must be a JPEG, PNG or WebP image of at most 5 MB.";
    /// Only a draft can be edited by its unit's staff or published.
    AnnouncementNotDraft = "announcement_not_draft", CONFLICT, "这条公告已不是草稿。", "This announcement is no longer a draft.";
    /// Only a published announcement can be withdrawn.
    AnnouncementNotPublished = "announcement_not_published", CONFLICT, "这条公告未在发布中。", "This announcement is not published.";
    // needs (issue 14)
    /// A referral sent without the resident's consent to share the need with a provider.
    ConsentRequired = "consent_required", BAD_REQUEST, "转介前须取得居民同意，将需求告知服务方。", "A referral needs the resident's consent to share the need with the provider.";
    /// A referral step its current state does not allow.
    ReferralState = "referral_state", CONFLICT, "转介当前的状态不允许此操作。", "The referral's current state does not allow this step.";
    /// A referral to a service that takes nobody (inactive, or no places at all).
    NoCapacity = "no_capacity", CONFLICT, "该服务目前不接收转介。", "This service takes no referrals now.";
    /// A referral step only the providing side may take.
    ProviderOnly = "provider_only", FORBIDDEN, "只有服务提供方可以进行此操作。", "Only the provider may take this step.";
    /// A referral step only the referring side may take.
    ReferrerOnly = "referrer_only", FORBIDDEN, "只有转介方可以进行此操作。", "Only the referring side may take this step.";
    /// A contract or an instalment that would take a call past its budget.
    OverBudget = "over_budget", CONFLICT, "超出项目预算。", "This would exceed the call's budget.";
    /// An instalment for a milestone that is not met, or already paid.
    MilestoneNotMet = "milestone_not_met", CONFLICT, "里程碑未达成或已付款，不能付款。", "Only a met milestone not yet paid can be paid.";
    /// An application from an organisation the call's eligibility rules exclude.
    NotEligible = "not_eligible", CONFLICT, "不符合申报条件。", "The organisation does not meet the call's eligibility rules.";
    /// A review by someone with a conflict of interest (declared or found in the registries).
    ConflictOfInterest = "conflict_of_interest", CONFLICT, "存在利益冲突，须回避评审。", "A conflict of interest: this reviewer must stand aside.";
    // consult (issue 15)
    /// A joint proposal whose co-signers have not all confirmed yet cannot be filed.
    CosignersPending = "cosigners_pending", CONFLICT, "联名提案人尚未全部确认，暂不能立案。", "Not every co-signer has confirmed the joint proposal yet.";
    /// A proposal's reply period was extended once already.
    AlreadyExtended = "already_extended", CONFLICT, "办理期限只能延长一次。", "The reply period can be extended only once.";
    /// The lead unit asked to hand a proposal back after its return window.
    ReturnWindowClosed = "return_window_closed", CONFLICT, "申退期限已过，请按期办理。", "The window for handing the proposal back has passed.";
    /// A second ballot by the same resident (or household) in one vote.
    AlreadyVoted = "already_voted", CONFLICT, "您（或您家庭）已在本次表决中投票。", "You (or your household) have already voted in this vote.";
    /// Only verified residents of the vote's community may vote.
    NotResident = "not_resident", FORBIDDEN, "只有本社区经核实的居民可以参加表决。", "Only verified residents of this community may vote.";
    /// The rules or options of a vote cannot change once a ballot is cast.
    RulesLocked = "rules_locked", CONFLICT, "已有人投票，表决规则和选项不能再修改。", "Ballots have been cast: the rules and options can no longer change.";
    /// A ballot or change on a vote that is closed.
    VoteClosed = "vote_closed", CONFLICT, "表决已结束。", "This vote is closed.";
    // assess (issue 16)
    /// An assessment step its plan's or sheet's stage does not allow (e.g. entering a value
    /// after the sheet was submitted, or after the lock).
    AssessStage = "assess_stage", CONFLICT, "考核当前所处阶段不允许此操作。", "The assessment is not at a stage that allows this step.";
    /// Locking a plan before its deadline.
    BeforeDeadline = "before_deadline", CONFLICT, "未到截止时间，考核尚不能锁定。", "The plan cannot be locked before its deadline.";
    /// Locking a plan while some sheets are not approved yet.
    SheetsPending = "sheets_pending", CONFLICT, "尚有考核表未经审批，不能锁定。", "Some sheets are not approved yet; the plan cannot be locked.";
    /// An appeal after the notice's appeal window, or finishing a plan before it ends.
    AppealWindow = "appeal_window", CONFLICT, "不在申诉期内。", "This is outside the appeal window.";
    /// A second plan for the same district, year and kind of unit.
    PlanExists = "plan_exists", CONFLICT, "该年度已有同类单位的考核方案。", "There is already a plan for this year and kind of unit.";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{has_cjk, split};

    #[test]
    fn every_code_is_unique_and_bilingual() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            let (zh, en) = split(c.message()).expect("bilingual");
            assert!(has_cjk(zh) && !en.is_empty(), "{c}");
            assert!(c.status().is_client_error() || c.status().is_server_error());
        }
        assert_eq!(Code::NotSigned.status(), StatusCode::CONFLICT);
        assert_eq!(Code::InvalidJson.as_str(), "invalid_json");
    }
}
