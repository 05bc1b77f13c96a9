//! The portal in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven over WebDriver. The README's complaint walk-through is done
//! entirely through pages, each party in its own browser; a cross-appointment is proposed and
//! approved through pages; every role's desk is loaded at 375 px (a phone) and 1366 px (a desk)
//! and fails if the page scrolls sideways, as do the other pages (appointments, registry, edit
//! forms, audit log, me) at 375 px. Screenshots go to `target/browser-screenshots/`.
//!
//! When Chromium is missing and the tests run as root on Debian, they install it
//! (`apt-get install chromium chromium-driver fonts-noto-cjk`); otherwise they fail saying what
//! to install. Nothing is skipped.
#![allow(clippy::unwrap_used)]

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tests::{Backend, TestApp};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CJK_FONTS: &str = "/usr/share/fonts/opentype/noto";
const PACKAGES: &str = "chromium chromium-driver fonts-noto-cjk";

/// Makes sure Chromium, its driver and CJK fonts are here, installing them from Debian's
/// packages when this process may; otherwise fails saying what to install.
fn ensure_browser() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let present =
            || Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() && Path::new(CJK_FONTS).exists();
        if present() {
            return;
        }
        let root =
            Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if root && Path::new("/usr/bin/apt-get").exists() {
            eprintln!("browser tests: installing {PACKAGES} from Debian's packages");
            let status = Command::new("sh")
                .arg("-c")
                .arg(format!("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {PACKAGES}"))
                .status();
            assert!(status.is_ok_and(|s| s.success()) && present(), "installing {PACKAGES} failed");
        } else {
            panic!("the browser tests need Debian's {PACKAGES}: run `sudo apt-get install -y {PACKAGES}`");
        }
    });
}

/// A running chromedriver, stopped when dropped, with a temporary directory of its own: Chromium
/// leaves `org.chromium.Chromium.scoped_dir.*` folders in `$TMPDIR` (about 25 MB a run of these
/// tests), which go with the driver.
struct Driver {
    child: Child,
    url: String,
    tmp: PathBuf,
}

impl Driver {
    async fn start() -> Self {
        ensure_browser();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let tmp = std::env::temp_dir().join(format!("lj_chromedriver_{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&tmp).unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
        let mut child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .env("TMPDIR", &tmp)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{url}/status")).send().await.is_ok_and(|r| r.status().is_success()) {
                return Self { child, url, tmp };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&tmp);
        panic!("chromedriver did not start on port {port}");
    }

    /// A new browser (its own profile and cookies), `width` px wide; at 375 px it is a phone.
    async fn browser(&self, width: u32) -> Client {
        let mut options = json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--lang=zh-CN", "--accept-lang=zh-CN,zh", format!("--window-size={width},900")],
            "prefs": {"intl.accept_languages": "zh-CN,zh"},
        });
        if width < 600 {
            options["mobileEmulation"] = json!({"deviceMetrics": {"width": width, "height": 812, "pixelRatio": 2.0}});
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector).capabilities(caps).connect(&self.url).await.unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

fn screenshots() -> PathBuf {
    let dir = std::env::var_os("SCREENSHOT_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/browser-screenshots"), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits until the browser's address contains `part`.
async fn wait_for_url(c: &Client, part: &str) -> String {
    wait_for(c, part, |url| url.contains(part)).await
}

/// Waits until the browser's address passes `ok`.
async fn wait_for(c: &Client, what: &str, ok: impl Fn(&str) -> bool) -> String {
    for _ in 0..200 {
        let url = c.current_url().await.unwrap().to_string();
        if ok(&url) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never reached {what}; at {}: {}", c.current_url().await.unwrap(), c.source().await.unwrap_or_default());
}

async fn sign_in(driver: &Driver, app: &TestApp, user: &str, width: u32) -> Client {
    let c = driver.browser(width).await;
    c.goto(&format!("{}/login", app.address)).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys(user).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys(tests::DEMO_PASSWORD).await.unwrap();
    c.find(Locator::Css("form[action='/login'] button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_url(&c, "/desk").await;
    c
}

/// Fills and sends the form of `action` on the case page, as the person at the browser would.
async fn act(c: &Client, app: &TestApp, id: &str, action: &str, fields: &[(&str, &str)]) {
    c.goto(&format!("{}/complaints/{id}", app.address)).await.unwrap();
    let form = c
        .find(Locator::Css(&format!("form[data-action='{action}']")))
        .await
        .unwrap_or_else(|e| panic!("no {action} button on {id}: {e}"));
    for (name, value) in fields {
        let field = form.find(Locator::Css(&format!("[name='{name}']"))).await.unwrap();
        if field.tag_name().await.unwrap() == "select" {
            field.select_by_value(value).await.unwrap();
        } else {
            field.send_keys(value).await.unwrap();
        }
    }
    form.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_url(c, &format!("done={action}")).await;
}

async fn text(c: &Client, selector: &str) -> String {
    c.find(Locator::Css(selector)).await.unwrap_or_else(|e| panic!("{selector}: {e}")).text().await.unwrap()
}

/// Fails if the page is wider than the window; saves a screenshot either way.
async fn fits(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
    let widths = c.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await.unwrap();
    let (scroll, inner) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
    assert!(scroll <= inner, "{name} scrolls sideways: {scroll} px of content in {inner} px");
}

async fn walk_through(app: &TestApp) {
    let driver = Driver::start().await;
    // The resident files on a phone.
    let resident = sign_in(&driver, app, "resident", 375).await;
    resident.goto(&format!("{}/complaints/new", app.address)).await.unwrap();
    resident.find(Locator::Css("#category")).await.unwrap().select_by_value("elevator").await.unwrap();
    resident.find(Locator::Css("#priority")).await.unwrap().select_by_value("urgent").await.unwrap();
    resident.find(Locator::Css("#title")).await.unwrap().send_keys("2号楼电梯停运").await.unwrap();
    resident
        .find(Locator::Css("#description"))
        .await
        .unwrap()
        .send_keys("电梯停运两天，老人上下楼困难。")
        .await
        .unwrap();
    fits(&resident, "file-375").await;
    resident.find(Locator::Css("form[action='/complaints'] button[type=submit]")).await.unwrap().click().await.unwrap();
    let url = wait_for_url(&resident, "done=file").await;
    let id = url.split("/complaints/").nth(1).unwrap().split('?').next().unwrap().to_owned();

    let manager = sign_in(&driver, app, "manager", 1366).await;
    act(&manager, app, &id, "accept", &[("note", "已派维修人员")]).await;
    act(&manager, app, &id, "resolve", &[("note", "已更换控制板")]).await;
    act(&resident, app, &id, "dispute", &[("reason", "电梯仍有异响")]).await;
    let secretary = sign_in(&driver, app, "secretary", 1366).await;
    act(&secretary, app, &id, "mediate", &[]).await;
    let department = app.demo().await.housing.clone();
    act(&secretary, app, &id, "escalate", &[("department_id", &department)]).await;
    let officer = sign_in(&driver, app, "officer", 1366).await;
    act(&officer, app, &id, "report-in", &[]).await;
    act(&officer, app, &id, "answer", &[("note", "已检测合格")]).await;
    act(&resident, app, &id, "confirm", &[("rating", "satisfied")]).await;
    assert_eq!(text(&resident, "#status").await, "已结案");
    fits(&resident, "complaint-375").await;
    let api = app.as_user("admin").await.get(&format!("/api/v1/complaints/{id}")).await.expect(200);
    assert_eq!(api["status"], "closed");
    assert_eq!(api["rating"], "satisfied");
    for c in [resident, manager, secretary, officer] {
        c.close().await.unwrap();
    }
}

async fn appointment_through_pages(app: &TestApp) {
    let driver = Driver::start().await;
    let secretary = sign_in(&driver, app, "secretary", 1366).await;
    secretary.goto(&format!("{}/appointments/new", app.address)).await.unwrap();
    let post = secretary.find(Locator::Css("#home_post_id option:not([value=''])")).await.unwrap();
    let post_value = post.attr("value").await.unwrap().unwrap();
    secretary.find(Locator::Css("#home_post_id")).await.unwrap().select_by_value(&post_value).await.unwrap();
    let host = secretary.find(Locator::Css("#host option[value^='owners_committee:']")).await.unwrap();
    let host_value = host.attr("value").await.unwrap().unwrap();
    secretary.find(Locator::Css("#host")).await.unwrap().select_by_value(&host_value).await.unwrap();
    secretary.find(Locator::Css("#host_title")).await.unwrap().select_by_value("supervisor").await.unwrap();
    secretary.find(Locator::Css("#basis")).await.unwrap().send_keys("社区党支部会议纪要〔2026〕12号").await.unwrap();
    fits(&secretary, "propose-1366").await;
    secretary
        .find(Locator::Css("form[action='/appointments'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The new appointment's page: `/appointments/<id>`.
    wait_for(&secretary, "the new appointment", |url| {
        url.rsplit('/').next().is_some_and(|last| last.len() == 36 && last.contains('-'))
    })
    .await;
    assert_eq!(text(&secretary, "#status").await, "待审批");
    let form = secretary.find(Locator::Css("form[data-action='approve']")).await.unwrap();
    form.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    // The page reloads with the decision; until it has, the old page (or none) is there.
    let mut status = String::new();
    for _ in 0..200 {
        if let Ok(e) = secretary.find(Locator::Css("#status")).await {
            status = e.text().await.unwrap_or_default();
            if status == "在任" {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "在任");
    secretary.close().await.unwrap();
}

async fn desks_fit_phones_and_desks(app: &TestApp) {
    let driver = Driver::start().await;
    for user in ["resident", "owner", "manager", "secretary", "officer", "county"] {
        for width in [375, 1366] {
            let c = sign_in(&driver, app, user, width).await;
            let h1 = text(&c, "h1").await;
            assert_eq!(h1, "工作台", "{user}");
            fits(&c, &format!("desk-{user}-{width}")).await;
            c.goto(&format!("{}/complaints", app.address)).await.unwrap();
            fits(&c, &format!("complaints-{user}-{width}")).await;
            if user == "secretary" || user == "county" {
                let demo = app.demo().await;
                let scope = if user == "county" { "county".to_owned() } else { format!("community:{}", demo.c1) };
                c.goto(&format!("{}/oversight/dashboard?scope={scope}", app.address)).await.unwrap();
                assert_eq!(text(&c, "#trend h2").await, "三率逐月走势");
                fits(&c, &format!("oversight-{user}-{width}")).await;
                c.execute("document.getElementById('trend').scrollIntoView();", vec![]).await.unwrap();
                fits(&c, &format!("oversight-charts-{user}-{width}")).await;
            }
            c.close().await.unwrap();
        }
    }
}

async fn other_pages_fit_a_phone(app: &TestApp) {
    let driver = Driver::start().await;
    let demo = app.demo().await;
    let community = format!("/registry/communities/{}", demo.c1);
    let coverage = format!("/communities/{}/coverage", demo.c1);
    let dashboard = format!("/oversight/dashboard?scope=community:{}", demo.c1);
    let last = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let last = last.checked_sub_months(chrono::Months::new(1)).unwrap().format("%Y-%m").to_string();
    let cards = format!("/oversight/scorecards?community_id={}&month={last}", demo.c1);
    let board = format!("/oversight/board?month={last}");
    let figure = format!("/oversight/cases?scope=community:{}&figure=filed", demo.c1);
    let published = app
        .as_user("secretary")
        .await
        .get(&format!("/api/v1/oversight/scorecards?community_id={}&month={last}", demo.c1))
        .await
        .expect(200);
    let card = format!("/oversight/scorecards/{}", published["cards"][0]["id"].as_str().unwrap());
    let new_meeting = format!("/meetings/new?community_id={}", demo.c1);
    let pages: [(&str, &[&str]); 5] = [
        ("secretary", &["/appointments", "/appointments/new", "/registry", &community, &coverage, "/audit", "/me"]),
        ("secretary", &["/meetings", &new_meeting, "/channels"]),
        ("secretary", &["/oversight", &dashboard, &cards, &card, &figure]),
        (
            "admin",
            &["/registry/companies", "/registry/departments", &format!("/registry/edit/companies/{}", demo.anju)],
        ),
        ("resident", &["/complaints/new", "/me", &board, "/inbox"]),
    ];
    for (user, paths) in pages {
        let c = sign_in(&driver, app, user, 375).await;
        for path in paths {
            c.goto(&format!("{}{path}", app.address)).await.unwrap();
            let name = path.trim_start_matches('/').split('?').next().unwrap_or_default().replace('/', "-");
            fits(&c, &format!("{user}-{name}-375")).await;
        }
        c.close().await.unwrap();
    }
}

/// Clicks the submit button of the form posting to `action` and waits for the page to change.
async fn send(c: &Client, action: &str, then: &str) {
    let form =
        c.find(Locator::Css(&format!("form[action='{action}']"))).await.unwrap_or_else(|e| panic!("{action}: {e}"));
    form.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(c, then, |url| url.ends_with(then)).await;
}

/// Waits until the element `selector` reads `want` (the page after a post has loaded).
async fn wait_text(c: &Client, selector: &str, want: &str) {
    let mut seen = String::new();
    for _ in 0..200 {
        if let Ok(e) = c.find(Locator::Css(selector)).await {
            seen = e.text().await.unwrap_or_default();
            if seen.contains(want) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{selector} never read {want}: {seen}");
}

async fn meeting_through_pages(app: &TestApp) {
    let driver = Driver::start().await;
    let d = app.demo().await;
    let secretary = sign_in(&driver, app, "secretary", 1366).await;
    secretary.goto(&format!("{}/meetings/new?community_id={}", app.address, d.c1)).await.unwrap();
    secretary.find(Locator::Css("#title")).await.unwrap().send_keys("翠苑小区垃圾清运联席会议").await.unwrap();
    let start = (chrono::Utc::now() - chrono::Duration::hours(1))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    secretary
        .execute("document.getElementById('starts_at').value = arguments[0];", vec![serde_json::json!(start)])
        .await
        .unwrap();
    secretary.find(Locator::Css("#place")).await.unwrap().send_keys("社区议事厅").await.unwrap();
    secretary.find(Locator::Css("#topic0")).await.unwrap().send_keys("垃圾清运不及时").await.unwrap();
    for org in [format!("property_company.{}", d.hongda), format!("residents_committee.{}", d.c1)] {
        secretary.find(Locator::Css(&format!("[name='invite.{org}']"))).await.unwrap().click().await.unwrap();
    }
    fits(&secretary, "meeting-new-1366").await;
    secretary.find(Locator::Css("#convene button[type=submit]")).await.unwrap().click().await.unwrap();
    let url = wait_for(&secretary, "the new meeting", |url| {
        url.rsplit('/').next().is_some_and(|last| last.len() == 36 && last.contains('-'))
    })
    .await;
    let path = url.trim_start_matches(&app.address).to_owned();
    wait_text(&secretary, "#status", "待召开").await;
    send(&secretary, &format!("{path}/hold"), &path).await;
    wait_text(&secretary, "#status", "已召开").await;
    let record = secretary.find(Locator::Css(&format!("form[action='{path}/record']"))).await.unwrap();
    for select in record.find_all(Locator::Css("select")).await.unwrap() {
        select.select_by_value("present").await.unwrap();
    }
    record.find(Locator::Css("textarea")).await.unwrap().send_keys("宏达物业承诺每日清运两次").await.unwrap();
    send(&secretary, &format!("{path}/record"), &path).await;
    // The minutes show in the agenda once recorded (the form's own text is not in it).
    wait_text(&secretary, "#agenda", "宏达物业承诺每日清运两次").await;
    let resolve = secretary.find(Locator::Css(&format!("form[action='{path}/resolve']"))).await.unwrap();
    resolve.find(Locator::Css("#resolve-text")).await.unwrap().send_keys("宏达物业增加清运频次").await.unwrap();
    resolve.find(Locator::Css("#task0-description")).await.unwrap().send_keys("每日清运两次并公示").await.unwrap();
    resolve
        .find(Locator::Css("#task0-org"))
        .await
        .unwrap()
        .select_by_value(&format!("property_company.{}", d.hongda))
        .await
        .unwrap();
    send(&secretary, &format!("{path}/resolve"), &path).await;
    wait_text(&secretary, "#agenda", "每日清运两次并公示").await;
    send(&secretary, &format!("{path}/publish"), &path).await;
    wait_text(&secretary, "#status", "纪要已签发").await;
    fits(&secretary, "meeting-1366").await;

    // 宏达's manager, on a phone, reports the task done from the desk.
    let manager = sign_in(&driver, app, "manager2", 375).await;
    wait_text(&manager, "#my-tasks", "每日清运两次并公示").await;
    fits(&manager, "desk-tasks-375").await;
    let form = manager.find(Locator::Css("#my-tasks form[data-action='report_done']")).await.unwrap();
    form.find(Locator::Css("input[name=note]")).await.unwrap().send_keys("已按每日两次清运并张贴公示").await.unwrap();
    form.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    // The desk was the page already: wait for the desk after the post, which shows the task
    // reported, before leaving it (leaving earlier could cut the post short).
    wait_text(&manager, "#my-tasks", "已报完成待核验").await;
    manager.goto(&format!("{}{path}", app.address)).await.unwrap();
    wait_text(&manager, "#agenda", "已报完成待核验").await;
    fits(&manager, "meeting-375").await;
    manager.goto(&format!("{}{path}/minutes", app.address)).await.unwrap();
    wait_text(&manager, "#minutes", "宏达物业承诺每日清运两次").await;
    fits(&manager, "minutes-375").await;

    // The secretary verifies it.
    secretary.goto(&format!("{}{path}", app.address)).await.unwrap();
    let verify = secretary.find(Locator::Css("form[data-action='verify']")).await.unwrap();
    verify.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_text(&secretary, "#agenda", "已核验完成").await;
    secretary.goto(&format!("{}/meetings", app.address)).await.unwrap();
    let api = app.as_user("secretary").await.get("/api/v1/tasks?status=verified").await.expect(200);
    assert!(api["items"].as_array().unwrap().iter().any(|t| t["description"] == "每日清运两次并公示"), "{api}");
    for c in [secretary, manager] {
        c.close().await.unwrap();
    }
}

/// Runs `body` against a fresh app on each database.
macro_rules! browser_test {
    ($name:ident, $body:ident) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body(&TestApp::spawn(Backend::Sqlite).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body(&TestApp::spawn(Backend::Postgres).await).await;
            }
        }
    };
}

browser_test!(the_walk_through_in_a_browser, walk_through);
browser_test!(a_cross_appointment_proposed_and_approved_in_a_browser, appointment_through_pages);
browser_test!(every_desk_fits_a_phone_and_a_desk, desks_fit_phones_and_desks);
browser_test!(the_other_pages_fit_a_phone, other_pages_fit_a_phone);
browser_test!(a_joint_meeting_through_pages, meeting_through_pages);
