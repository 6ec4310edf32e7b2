//! The library's one authorisation function. Every handler asks it before reading or
//! changing a document; nothing else decides who may do what.

use crate::model::PriceKind;
use crate::model::{Document, Status};
use platform::Actor;
use platform::auth::Role;
/// The refusal every module's `authorize` answers with.
pub use platform::web::authz::Denied;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See that the document exists and its details.
    View,
    /// See preview page n (1-based).
    ViewPage(i64),
    /// Fetch the original file.
    Download,
    Upload,
    /// Approve or reject an upload; see the review queue; take down and restore.
    Moderate,
    /// Change title, description, category, tags, preview size.
    Edit,
    /// Remove the document and its files for good.
    Delete,
    /// See one's own wallet, redeem vouchers, pay.
    UseWallet,
    /// Top up wallets and issue vouchers (operators).
    ManageMoney,
    /// A payment provider's callback: anyone may send one; it counts only if its signature
    /// verifies under the provider's secret (checked by the provider adapter).
    ProviderCallback,
    /// File a copyright complaint, ownership claim or report.
    Complain,
    /// Decide complaints and reports; moderate comments (moderators).
    ReviewComplaints,
    /// Mark accounts as verified rights holders, whose complaints take documents down
    /// pending review (operators).
    VerifyRightsHolders,
    /// Comment on a document one can see.
    Comment,
    /// Rate a document 1–5 (not one's own).
    Rate,
    /// Add a document to one's favourites.
    Favourite,
    /// Keep reading progress on the server for every device: a VIP benefit.
    SyncReading {
        member: bool,
        /// The document in question was assigned to the reader as study (ADR 037).
        assigned: bool,
    },
    /// Use a member-only benefit: format conversion, copyright registration.
    VipBenefit {
        member: bool,
    },
    /// Check a copyright certificate at its public address: anyone.
    VerifyCertificate,
    /// Search with fields (title:, tag:, category:, uploader:, format:) or a date range:
    /// a VIP benefit (members and staff).
    AdvancedSearch {
        member: bool,
    },
}

fn owns(actor: &Actor, doc: &Document) -> bool {
    actor.id() == Some(doc.uploader_id)
}

/// Pages of `doc` that `actor` may see: the whole document for its uploader, staff and
/// buyers, the free preview for everyone else.
pub fn visible_pages(actor: &Actor, doc: &Document, site_free_pages: u32) -> i64 {
    let entitled = doc.bought || (doc.price_kind == PriceKind::Vip && doc.vip_member);
    if owns(actor, doc) || actor.is_staff() || (entitled && doc.status == Status::Ready) {
        doc.pages
    } else if doc.status == Status::Ready {
        doc.preview_pages
            .unwrap_or(site_free_pages as i64)
            .clamp(0, doc.pages)
    } else {
        0
    }
}

/// Whether `doc` does not exist as far as `user` may know: it is not published, and it is
/// neither theirs nor are they staff.
pub fn hidden_from(user: Option<&platform::auth::User>, doc: &Document) -> bool {
    let privileged = user.is_some_and(|u| u.id == doc.uploader_id || u.role.is_staff());
    doc.status != Status::Ready && !privileged
}

/// A benefit of VIP membership: signed-in members (and staff) may; others are told what
/// joining would give them.
fn vip_benefit(actor: &Actor, member: bool, why_join: &'static str) -> Result<(), Denied> {
    if actor.user.is_none() {
        Err(Denied::SignIn)
    } else if member || actor.is_staff() {
        Ok(())
    } else {
        Err(Denied::Forbidden(why_join))
    }
}

pub fn authorize(
    actor: &Actor,
    action: Action,
    doc: Option<&Document>,
    site_free_pages: u32,
) -> Result<(), Denied> {
    match (action, doc) {
        (Action::Upload | Action::UseWallet, _) => {
            actor.user.as_ref().map(|_| ()).ok_or(Denied::SignIn)
        }
        (Action::ProviderCallback | Action::VerifyCertificate, _) => Ok(()),
        (Action::Complain, _) => actor.user.as_ref().map(|_| ()).ok_or(Denied::SignIn),
        (Action::ReviewComplaints, _) => match actor.role() {
            None => Err(Denied::SignIn),
            Some(Role::Admin | Role::Moderator) => Ok(()),
            Some(Role::Member) => Err(Denied::Forbidden(platform::bi!(
                "只有审核员可以处理投诉。",
                "only moderators review complaints"
            ))),
        },
        (Action::VipBenefit { member }, _) => vip_benefit(
            actor,
            member,
            platform::bi!(
                "这是 VIP 权益（格式转换、版权登记），开通 VIP 后可用。",
                "this is a VIP benefit (format conversion, copyright registration); join VIP to use it"
            ),
        ),
        (Action::AdvancedSearch { member }, _) => vip_benefit(
            actor,
            member,
            platform::bi!(
                "字段检索（title:、tag:、category:、uploader:、format:）和日期范围是 VIP 权益；普通词语、短语和排除词人人可用。",
                "field search (title:, tag:, category:, uploader:, format:) and date ranges are a VIP benefit; plain words, phrases and exclusions work for everyone"
            ),
        ),
        (Action::SyncReading { member, assigned }, _) => vip_benefit(
            actor,
            member || assigned,
            platform::bi!(
                "多端同步阅读进度是 VIP 权益，开通 VIP 后在每台设备上都能接着读。",
                "syncing reading progress across devices is a VIP benefit; join VIP to keep your place on every device"
            ),
        ),
        (Action::ManageMoney | Action::VerifyRightsHolders, _) => match actor.role() {
            None => Err(Denied::SignIn),
            Some(Role::Admin) => Ok(()),
            Some(_) => Err(Denied::Forbidden(platform::bi!(
                "只有管理员可以管理资金和认证权利人。",
                "only administrators manage money and verify rights holders"
            ))),
        },
        (Action::Moderate, _) => match actor.role() {
            None => Err(Denied::SignIn),
            Some(Role::Admin | Role::Moderator) => Ok(()),
            Some(Role::Member) => Err(Denied::Forbidden(platform::bi!(
                "只有审核员可以审核文档。",
                "only moderators review documents"
            ))),
        },
        (_, None) => Err(Denied::Hidden),
        (action, Some(doc)) => {
            let privileged = owns(actor, doc) || actor.is_staff();
            if hidden_from(actor.user.as_ref(), doc) {
                return Err(Denied::Hidden);
            }
            match action {
                Action::View => Ok(()),
                Action::ViewPage(n) => {
                    if n >= 1 && n <= visible_pages(actor, doc, site_free_pages) {
                        Ok(())
                    } else if n < 1 || n > doc.pages {
                        Err(Denied::Hidden)
                    } else if actor.user.is_none() {
                        Err(Denied::SignIn)
                    } else {
                        Err(Denied::Forbidden(platform::bi!(
                            "此页超出免费预览范围。",
                            "this page is beyond the free preview"
                        )))
                    }
                }
                Action::Download => {
                    if actor.user.is_none() {
                        Err(Denied::SignIn)
                    } else if doc.price_kind == PriceKind::Free || privileged || doc.bought {
                        Ok(())
                    } else if doc.price_kind == PriceKind::Vip {
                        // Members pass here; the download itself uses one of their rights.
                        if doc.vip_member {
                            Ok(())
                        } else {
                            Err(Denied::Forbidden(platform::bi!(
                                "这是 VIP 文档：开通 VIP 会员或购买后即可下载。",
                                "this is a VIP document: become a VIP member to download it, or buy it"
                            )))
                        }
                    } else {
                        Err(Denied::Forbidden(platform::bi!(
                            "请先购买此文档；购买后可永久免费再次下载。",
                            "buy this document first; after that it downloads free, for good"
                        )))
                    }
                }
                Action::Edit | Action::Delete => {
                    if privileged {
                        Ok(())
                    } else if actor.user.is_none() {
                        Err(Denied::SignIn)
                    } else {
                        Err(Denied::Forbidden(platform::bi!(
                            "只有上传者或审核员可以修改此文档。",
                            "only the uploader or a moderator may change this document"
                        )))
                    }
                }
                Action::Comment | Action::Favourite => {
                    if actor.user.is_none() {
                        Err(Denied::SignIn)
                    } else if doc.status != Status::Ready {
                        Err(Denied::Forbidden(platform::bi!(
                            "只有已发布的文档可以评论和收藏。",
                            "only published documents take comments and favourites"
                        )))
                    } else {
                        Ok(())
                    }
                }
                Action::Rate => {
                    if actor.user.is_none() {
                        Err(Denied::SignIn)
                    } else if owns(actor, doc) {
                        Err(Denied::Forbidden(platform::bi!(
                            "不能给自己的文档评分。",
                            "you cannot rate your own document"
                        )))
                    } else if doc.status != Status::Ready {
                        Err(Denied::Forbidden(platform::bi!(
                            "只有已发布的文档可以评分。",
                            "only published documents can be rated"
                        )))
                    } else {
                        Ok(())
                    }
                }
                Action::Upload
                | Action::Complain
                | Action::ReviewComplaints
                | Action::VerifyRightsHolders
                | Action::SyncReading { .. }
                | Action::VipBenefit { .. }
                | Action::AdvancedSearch { .. }
                | Action::VerifyCertificate
                | Action::Moderate
                | Action::UseWallet
                | Action::ManageMoney
                | Action::ProviderCallback => {
                    unreachable!("handled above")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::auth::User;
    use platform::web::Lang;

    fn actor(id: Option<i64>, role: Role) -> Actor {
        Actor {
            user: id.map(|id| User {
                id,
                username: format!("u{id}"),
                display_name: String::new(),
                role,
            }),
            lang: Lang::Zh,
            csrf: String::new(),
            ip: "127.0.0.1".into(),
            session_token: None,
        }
    }

    fn doc(status: Status, pages: i64) -> Document {
        Document {
            id: 1,
            title: "t".into(),
            description: String::new(),
            category_id: None,
            format: convert::Format::Pdf,
            original_name: "t.pdf".into(),
            size_bytes: 1,
            status,
            error: None,
            pages,
            preview_pages: None,
            preview_kind: "faithful".into(),
            preview_note: None,
            thumb_key: None,
            thumb_mime: None,
            progress_done: 0,
            progress_total: 0,
            uploader_id: 7,
            uploader_name: String::new(),
            reject_reason: None,
            takedown_reason: None,
            price_kind: PriceKind::Free,
            price: 0,
            quality: 3,
            original: false,
            rating_sum: 0,
            rating_count: 0,
            bought: false,
            vip_member: false,
            views: 0,
            downloads: 0,
            created_at: 0,
            published_at: None,
            sha256: String::new(),
            auto_publish: false,
        }
    }

    #[test]
    fn anonymous_sees_free_pages_of_ready_documents_only() {
        let anon = actor(None, Role::Member);
        let d = doc(Status::Ready, 12);
        assert_eq!(authorize(&anon, Action::ViewPage(5), Some(&d), 5), Ok(()));
        assert_eq!(
            authorize(&anon, Action::ViewPage(6), Some(&d), 5),
            Err(Denied::SignIn)
        );
        assert_eq!(
            authorize(&anon, Action::ViewPage(13), Some(&d), 5),
            Err(Denied::Hidden)
        );
        assert_eq!(
            authorize(&anon, Action::Download, Some(&d), 5),
            Err(Denied::SignIn)
        );
        let pending = doc(Status::PendingReview, 12);
        assert_eq!(
            authorize(&anon, Action::View, Some(&pending), 5),
            Err(Denied::Hidden)
        );
    }

    #[test]
    fn members_are_limited_but_owners_and_staff_see_everything() {
        let member = actor(Some(2), Role::Member);
        let owner = actor(Some(7), Role::Member);
        let moderator = actor(Some(3), Role::Moderator);
        let mut d = doc(Status::Ready, 12);
        assert!(matches!(
            authorize(&member, Action::ViewPage(6), Some(&d), 5),
            Err(Denied::Forbidden(_))
        ));
        assert_eq!(authorize(&owner, Action::ViewPage(12), Some(&d), 5), Ok(()));
        assert_eq!(
            authorize(&moderator, Action::ViewPage(12), Some(&d), 5),
            Ok(())
        );
        d.preview_pages = Some(8);
        assert_eq!(authorize(&member, Action::ViewPage(8), Some(&d), 5), Ok(()));
        d.status = Status::PendingReview;
        assert_eq!(
            authorize(&member, Action::View, Some(&d), 5),
            Err(Denied::Hidden)
        );
        assert_eq!(authorize(&owner, Action::View, Some(&d), 5), Ok(()));
    }

    #[test]
    fn only_owner_and_staff_edit_or_delete() {
        let d = doc(Status::Ready, 3);
        assert_eq!(
            authorize(&actor(Some(7), Role::Member), Action::Edit, Some(&d), 5),
            Ok(())
        );
        assert_eq!(
            authorize(
                &actor(Some(3), Role::Moderator),
                Action::Delete,
                Some(&d),
                5
            ),
            Ok(())
        );
        assert!(matches!(
            authorize(&actor(Some(2), Role::Member), Action::Delete, Some(&d), 5),
            Err(Denied::Forbidden(_))
        ));
        assert_eq!(
            authorize(&actor(None, Role::Member), Action::Edit, Some(&d), 5),
            Err(Denied::SignIn)
        );
        let hidden = doc(Status::TakenDown, 3);
        assert_eq!(
            authorize(
                &actor(Some(2), Role::Member),
                Action::Edit,
                Some(&hidden),
                5
            ),
            Err(Denied::Hidden)
        );
    }

    #[test]
    fn paid_documents_open_fully_to_buyers() {
        let mut d = doc(Status::Ready, 12);
        d.price_kind = PriceKind::Paid;
        d.price = 300;
        let member = actor(Some(2), Role::Member);
        assert!(matches!(
            authorize(&member, Action::Download, Some(&d), 5),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            authorize(&member, Action::ViewPage(6), Some(&d), 5),
            Err(Denied::Forbidden(_))
        ));
        d.bought = true;
        assert_eq!(authorize(&member, Action::Download, Some(&d), 5), Ok(()));
        assert_eq!(
            authorize(&member, Action::ViewPage(12), Some(&d), 5),
            Ok(())
        );
        assert_eq!(
            authorize(
                &actor(Some(7), Role::Member),
                Action::Download,
                Some(&doc(Status::Ready, 1)),
                5
            ),
            Ok(())
        );
    }

    #[test]
    fn only_staff_moderate() {
        assert_eq!(
            authorize(&actor(None, Role::Member), Action::Moderate, None, 5),
            Err(Denied::SignIn)
        );
        assert!(matches!(
            authorize(&actor(Some(1), Role::Member), Action::Moderate, None, 5),
            Err(Denied::Forbidden(_))
        ));
        assert_eq!(
            authorize(&actor(Some(1), Role::Admin), Action::Moderate, None, 5),
            Ok(())
        );
    }
}
