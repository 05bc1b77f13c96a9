//! Every end-to-end test in one test binary (one link of the whole service instead of six):
//! the real application over HTTP, each test on SQLite and on PostgreSQL through `e2e!`.
//! Run one area with `cargo test -p tests --test e2e complaints::`.
#![allow(clippy::unwrap_used)]

mod complaints;
mod cross_appointments;
mod delivery;
mod foundation;
mod http;
mod meeting_pages;
mod meetings;
mod notifications;
mod oversight;
mod oversight_pages;
mod portal;
mod replicas;
mod separation;
