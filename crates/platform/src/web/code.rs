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
    // governance
    HubIsSelf = "hub_is_self", BAD_REQUEST, "组织不能挂靠在自己名下。", "An organisation cannot be its own hub.";
    HubNotAllowed = "hub_not_allowed", BAD_REQUEST, "只有会员组织可以挂靠枢纽组织。", "Only a member organisation has a hub.";
    HubOtherDistrict = "hub_other_district", BAD_REQUEST, "枢纽组织须在同一个区。", "The hub must be in the same district.";
    HubRequired = "hub_required", BAD_REQUEST, "会员组织须选择所挂靠的枢纽组织。", "A member organisation needs a hub.";
    InvalidCategory = "invalid_category", BAD_REQUEST, "服务类别无效。", "The service category is invalid.";
    InvalidCoordinates = "invalid_coordinates", BAD_REQUEST, "经纬度无效。", "The coordinates are invalid.";
    InvalidCreditCode = "invalid_credit_code", BAD_REQUEST, "统一社会信用代码无效。", "The credit code is invalid.";
    InvalidCutoffs = "invalid_cutoffs", BAD_REQUEST, "等级分数线无效。", "The grade cut-offs are invalid.";
    InvalidDate = "invalid_date", BAD_REQUEST, "日期无效。", "The date is invalid.";
    InvalidDecision = "invalid_decision", BAD_REQUEST, "审核结论无效。", "The review decision is invalid.";
    InvalidHours = "invalid_hours", BAD_REQUEST, "开放时间无效。", "The opening hours are invalid.";
    InvalidHubRole = "invalid_hub_role", BAD_REQUEST, "组织在枢纽体系中的角色无效。", "The hub role is invalid.";
    InvalidKind = "invalid_kind", BAD_REQUEST, "类型无效。", "The kind is invalid.";
    InvalidNumber = "invalid_number", BAD_REQUEST, "请填写整数。", "Enter a whole number.";
    InvalidOrgType = "invalid_org_type", BAD_REQUEST, "组织类型无效。", "The organisation type is invalid.";
    InvalidParent = "invalid_parent", BAD_REQUEST, "上级单位无效。", "The parent unit is invalid.";
    InvalidPhone = "invalid_phone", BAD_REQUEST, "电话号码无效。", "The phone number is invalid.";
    InvalidPoint = "invalid_point", BAD_REQUEST, "服务点无效。", "The service point is invalid.";
    InvalidRole = "invalid_role", BAD_REQUEST, "角色无效。", "The role is invalid.";
    InvalidScore = "invalid_score", BAD_REQUEST, "评估分数无效。", "A score is invalid.";
    InvalidServiceField = "invalid_service_field", BAD_REQUEST, "服务领域无效。", "A service field is invalid.";
    InvalidStaffProfile = "invalid_staff_profile", BAD_REQUEST, "人员年龄构成与总人数不符。", "The staff age groups do not add up.";
    InvalidStatus = "invalid_status", BAD_REQUEST, "状态无效。", "The status is invalid.";
    InvalidYear = "invalid_year", BAD_REQUEST, "年度无效。", "The year is invalid.";
    NotAHub = "not_a_hub", BAD_REQUEST, "所选组织不是枢纽组织。", "The chosen organisation is not a hub.";
    NotAllowed = "not_allowed", BAD_REQUEST, "此处不允许该选项。", "That choice is not allowed here.";
    NotRegisteredThatYear = "not_registered_that_year", BAD_REQUEST, "该组织在该年度尚未登记。", "The organisation was not registered that year.";
    OtherDistrict = "other_district", BAD_REQUEST, "不能跨区操作。", "That belongs to another district.";
    ProviderAmbiguous = "provider_ambiguous", BAD_REQUEST, "服务提供方只能是组织或单位之一。", "Name either an organisation or a unit as the provider.";
    ReasonsRequired = "reasons_required", BAD_REQUEST, "请填写理由。", "Give the reasons.";
    UnknownHub = "unknown_hub", BAD_REQUEST, "未找到该枢纽组织。", "No such hub organisation.";
    UnknownOrg = "unknown_org", BAD_REQUEST, "未找到该组织。", "No such organisation.";
    UnknownParent = "unknown_parent", BAD_REQUEST, "未找到上级单位。", "No such parent unit.";
    UnknownPoint = "unknown_point", BAD_REQUEST, "未找到该服务点。", "No such service point.";
    UnknownUnit = "unknown_unit", BAD_REQUEST, "未找到该单位。", "No such unit.";
    UnknownUser = "unknown_user", BAD_REQUEST, "未找到该用户。", "No such user.";

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
    // governance
    CreditCodeTaken = "credit_code_taken", CONFLICT, "该统一社会信用代码已登记。", "That credit code is registered already.";
    FederationExists = "federation_exists", CONFLICT, "本区已有社会组织联合会。", "The district has its federation already.";
    HubHasMembers = "hub_has_members", CONFLICT, "该枢纽组织还有会员组织挂靠。", "Member organisations are still attached to this hub.";
    ReportAccepted = "report_accepted", CONFLICT, "该年度年报已审核通过。", "That year's report was accepted already.";
    ReportPending = "report_pending", CONFLICT, "该年度年报正在审核中。", "That year's report is awaiting review.";
    ReportNotPending = "report_not_pending", CONFLICT, "该年报不在待审核状态。", "The report is not awaiting review.";
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
