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
    /// A request the router or an extractor refused before any handler ran.
    BadRequest = "bad_request", BAD_REQUEST, "请求有误，请检查后重试。", "Something in the request is wrong; check it and try again.";
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
    /// A unit boundary that is not a valid GeoJSON Polygon or MultiPolygon in WGS84 (issue 16).
    InvalidBoundary = "invalid_boundary", BAD_REQUEST, "边界须为有效的 GeoJSON 面（Polygon 或 MultiPolygon，WGS84 经纬度）。", "The boundary must be a valid GeoJSON Polygon or MultiPolygon in WGS84.";
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
    /// A form body that could not be read (the client left, or it was cut short).
    BadBody = "bad_body", BAD_REQUEST, "无法读取表单。", "The form could not be read.";
    /// A form body that stalled past the server's timeout.
    BodyTimeout = "body_timeout", BAD_REQUEST, "表单上传超时，请重试。", "The form did not arrive in time; try again.";
    /// A choice between modes (e.g. set or generate a password) that is neither.
    BadMode = "bad_mode", BAD_REQUEST, "请选择一种方式。", "Choose one of the options.";

    // cases: bad input to the case centre and its Open311 endpoint.
    BadAddressId = "bad_address_id", BAD_REQUEST, "地址编号不是本区的单位。", "address_id is not a unit in this district.";
    BadAttribute = "bad_attribute", BAD_REQUEST, "补充问题的回答无效。", "An attribute has a value it does not accept.";
    BadCode = "bad_code", BAD_REQUEST, "代码须为 1–40 个字母、数字、- 或 _。", "A code is 1–40 letters, digits, - or _.";
    BadDate = "bad_date", BAD_REQUEST, "日期格式无效。", "A date is not in the expected format.";
    BadDays = "bad_days", BAD_REQUEST, "天数超出允许范围。", "A number of days is out of range.";
    BadDistrict = "bad_district", BAD_REQUEST, "请选择您管理的区。", "Choose a district you administer.";
    BadForm = "bad_form", BAD_REQUEST, "表单内容有误，请重试。", "The form is malformed; try again.";
    BadId = "bad_id", BAD_REQUEST, "编号无效。", "An id is invalid.";
    BadKind = "bad_kind", BAD_REQUEST, "类型无效。", "The kind is invalid.";
    BadLocation = "bad_location", BAD_REQUEST, "经纬度无效。", "lat and long are invalid.";
    BadMediaUrl = "bad_media_url", BAD_REQUEST, "图片链接须为 http(s) 地址。", "media_url must be an http(s) URL.";
    BadMerge = "bad_merge", BAD_REQUEST, "无法合并到该事件。", "The case cannot be merged into that one.";
    BadNumber = "bad_number", BAD_REQUEST, "须为整数。", "A whole number is required.";
    BadParent = "bad_parent", BAD_REQUEST, "上级类别无效。", "The parent category is invalid.";
    BadPeriod = "bad_period", BAD_REQUEST, "开始日期晚于结束日期。", "from is after to.";
    BadPhoto = "bad_photo", BAD_REQUEST, "照片无效。", "The photo is invalid.";
    BadPlace = "bad_place", BAD_REQUEST, "没有这个地点。", "No such place.";
    BadPriority = "bad_priority", BAD_REQUEST, "紧急程度无效。", "priority: normal, urgent or critical.";
    BadRange = "bad_range", BAD_REQUEST, "结束日期早于开始日期。", "end_date is before start_date.";
    BadRoute = "bad_route", BAD_REQUEST, "派单规则无效。", "The routing rule is invalid.";
    BadSatisfaction = "bad_satisfaction", BAD_REQUEST, "请选择满意度。", "Choose a satisfaction level.";
    BadSource = "bad_source", BAD_REQUEST, "来源无效。", "source: web, grid or hotline.";
    BadStatus = "bad_status", BAD_REQUEST, "状态须为 open 或 closed。", "status: open or closed.";
    BadUnit = "bad_unit", BAD_REQUEST, "单位不在本区内。", "The unit is not in this district.";
    /// An invalid text field (too long, or more than one line).
    BadField = "bad_field", BAD_REQUEST, "字段内容无效。", "A field is invalid.";
    CodeFixed = "code_fixed", BAD_REQUEST, "代码创建后不能修改。", "The code cannot change once created.";
    DescriptionTooLong = "description_too_long", BAD_REQUEST, "描述太长。", "The description is too long.";
    MissingAttribute = "missing_attribute", BAD_REQUEST, "请回答必答的补充问题。", "A required attribute is missing.";
    MissingDescription = "missing_description", BAD_REQUEST, "请描述发生了什么。", "Describe what happened.";
    MissingLocation = "missing_location", BAD_REQUEST, "请提供位置。", "A location is required.";
    MissingName = "missing_name", BAD_REQUEST, "请填写名称。", "A name is required.";
    MissingPlace = "missing_place", BAD_REQUEST, "请选择事件发生的社区。", "Choose where it happened.";
    MissingServiceCode = "missing_service_code", BAD_REQUEST, "请提供 service_code。", "service_code is required.";
    NoRoute = "no_route", BAD_REQUEST, "无法自动派单，请选择承办单位。", "No unit found by routing; choose the lead unit.";
    RangeTooLong = "range_too_long", BAD_REQUEST, "日期范围太长。", "The date range is too long.";
    ResultTooShort = "result_too_short", BAD_REQUEST, "办理结果说明太短。", "The result is too short.";
    TooLong = "too_long", BAD_REQUEST, "内容太长。", "The text is too long.";
    UnknownAction = "unknown_action", BAD_REQUEST, "未知的操作。", "Unknown action.";
    UnknownCategory = "unknown_category", BAD_REQUEST, "没有这个事件类别。", "No such case category.";

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
    /// A step that does not apply to the record in its current state (a case, a
    /// document, a payment order).
    WrongState = "wrong_state", CONFLICT, "当前状态不允许此操作，请刷新后重试。", "This step does not apply in the current state; reload and try again.";
    /// A request or complaint that was decided already.
    AlreadyDecided = "already_decided", CONFLICT, "已经处理过了。", "This was decided already.";

    // cases: workflow conflicts.
    ReturnClosed = "return_closed", CONFLICT, "退回期限已过，请联系中心改派。", "The window to return this case has closed; ask the centre to re-dispatch it.";
    ExtensionPending = "extension_pending", CONFLICT, "已有一项延期申请待批复。", "An extension request is already waiting for the centre.";
    AlreadyVisited = "already_visited", CONFLICT, "这件事件已经回访过。", "This case already has its return visit.";
    /// A second manual urge of the same case on the same working day (issue 16).
    AlreadyUrged = "already_urged", CONFLICT, "这件事件本工作日已催办过，每个工作日最多催办一次。", "This case was urged already this working day; urge it at most once a working day.";

    // library: documents, money and complaints.
    InsufficientFunds = "insufficient_funds", CONFLICT, "余额不足，请先充值。", "The balance is not enough; top up first.";
    KeyReused = "key_reused", CONFLICT, "此请求编号已用于另一笔操作。", "This idempotency key was used for a different request.";
    ProviderRefused = "provider_refused", CONFLICT, "支付渠道拒绝了此操作。", "The payment provider refused this.";
    NoEarnings = "no_earnings", CONFLICT, "没有可结算的收益。", "There are no accrued earnings to pay out.";
    PayoutPending = "payout_pending", CONFLICT, "收益正在结算中。", "The earnings are already being paid out.";
    NotForSale = "not_for_sale", CONFLICT, "此文档不出售。", "This document is not for sale.";
    OwnDocument = "own_document", CONFLICT, "这是您自己的文档。", "This is your own document.";
    ComplaintOpen = "complaint_open", CONFLICT, "您已提交过同类投诉。", "You already have an open complaint of this kind.";
    DuplicateFile = "duplicate_file", CONFLICT, "这份文件已在文库中。", "The same file is already in the library.";
    NoOpenTicket = "no_open_ticket", CONFLICT, "没有这个编号的待处理工单。", "No open ticket has this number.";
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
    /// A second sign-in of the same person to one meeting.
    AlreadySignedIn = "already_signed_in", CONFLICT, "此人已在本次会议签到。", "This person has already signed in to the meeting.";
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
