//! Integration tests: each starts the real server on 127.0.0.1:0 with a fresh data dir
//! and database, on SQLite and on PostgreSQL.
//!
//! The kit in `common`: `both_dbs!(name)` above `async fn name(backend: Backend)` makes the
//! two tests `name::sqlite` and `name::postgres`; `Server` (start, users, tokens, CLI, the
//! database, `accounts("admin=admin mod=moderator reader")`, `published`, `scalar`);
//! `s.post(&token, path, Some(&body)).await.want(201)` (or `send`/`send_expect`) for JSON
//! calls, `expect_each`/`expect_statuses` for tables of them, `raw` for whole responses;
//! `web_login`, `get_html`, `post_form` for what a browser does; `District::planned(&s,
//! &admin, "district D; street S in D; community A B in S")` and `staffs("x=worker@A")` for
//! a unit tree with staff; `Clock` for the injected time; `cases` and `pay` for the calls
//! many tests set up with; `webdriver` for Chromium (`sign_in`, `wait`).

mod common;

mod accounts;
mod assess;
mod assess_browser;
mod auth;
mod backup;
mod browser;
mod cases;
mod cases_supervise;
mod cluster;
mod consult;
mod consult_activity_pages;
mod consult_browser;
mod consult_community;
mod consult_library;
mod consult_meetings;
mod db_pool;
mod demo;
mod governance;
mod hsds;
mod library;
mod money;
mod money_browser;
mod money_props;
mod money_routes;
mod needs;
mod needs_attachments;
mod needs_browser;
mod needs_call_pages;
mod needs_demo;
mod needs_projects;
mod needs_quality;
mod needs_review_plan;
mod openapi;
mod overview;
mod overview_drill;
mod overview_map;
mod overview_reports;
mod payments;
mod publicity;
mod restart;
mod rights;
mod search;
mod social;
mod storage_s3;
mod study;
mod vip_benefits;
mod workbench;
mod workbench_browser;
