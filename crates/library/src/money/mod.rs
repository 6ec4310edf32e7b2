//! Money (SPEC L5): a double-entry ledger in 分, operator top-ups and vouchers (兑换码).
//! Paid documents, VIP plans and contributor rewards build on [`ledger::post`].

pub mod api;
pub mod ledger;
pub mod pages;
pub mod payments;
pub mod payments_api;
pub mod purchase;
pub mod rewards;
pub mod vip;
pub mod voucher_pages;
pub mod vouchers;
pub mod wallet_pages;
