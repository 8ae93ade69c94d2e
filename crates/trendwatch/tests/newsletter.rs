//! The weekly digest by e-mail, against a real SMTP server started by the test (aiosmtpd from
//! PyPI, `tests/fixtures/smtp_sink.py`): double opt-in, the same answer whatever the address's
//! state, throttling, the digest's parts and headers, every link in it working against the
//! running site, one-click unsubscribe (RFC 8058), permanent failures, a send killed
//! half-way that resumes without sending anyone the digest twice, and a web node that
//! stands by while another process sends and takes the send over when that one dies.

mod common;

use common::*;
use reqwest::StatusCode;
use scraper::Html;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use trendwatch_core::accounts::Role;
use trendwatch_core::newsletter::SubscriptionRequest;
use trendwatch_core::Language;

/// The test SMTP server: a Python process that prints each message it accepts as JSON.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    messages: mpsc::UnboundedReceiver<Value>,
    refused: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts the server; `None` (the caller is skipped, and says so) without aiosmtpd.
    fn start() -> Option<SmtpSink> {
        let python = python_with(&["aiosmtpd"])?;
        let dir = tempfile::tempdir().expect("temp dir");
        let refused = dir.path().join("refused");
        let mut child = std::process::Command::new(python)
            .arg(fixtures().join("smtp_sink.py"))
            .arg(&refused)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("SMTP server starts");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a first line").expect("readable");
        let port = first
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("expected `port N`, got {first:?}"));
        let (tx, messages) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let message: Value = serde_json::from_str(&line).expect("the server prints JSON");
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Some(SmtpSink {
            child,
            port,
            messages,
            refused,
            _dir: dir,
        })
    }

    /// The next message the server accepted (waits for it to arrive).
    async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(60), self.messages.recv())
            .await
            .expect("a message arrives within a minute")
            .expect("the SMTP server is running")
    }

    /// From now on, the server refuses `address` permanently (550).
    fn refuse(&self, address: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.refused)
            .expect("refused list");
        writeln!(f, "{address}").expect("write");
    }

    /// The `[mail]` section that sends to this server.
    fn config(&self) -> String {
        format!(
            "[mail]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
             from = \"Arvenia Monitor <digest@monitor.example>\"\nper_second = 200\n",
            self.port
        )
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn header<'a>(message: &'a Value, name: &str) -> &'a str {
    message["headers"][name].as_str().unwrap_or("")
}

fn part<'a>(message: &'a Value, kind: &str) -> &'a str {
    message["parts"][kind].as_str().unwrap_or("")
}

/// Every `http…` address in a text.
fn links_in_text(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(str::to_string)
        .collect()
}

async fn post_form(app: &TestApp, url: &str, fields: &[(&str, &str)]) -> Fetched {
    let url = if url.starts_with("http") {
        url.to_string()
    } else {
        format!("{}{url}", app.app.url())
    };
    let resp = app
        .client
        .post(url)
        .form(fields)
        .send()
        .await
        .expect("request");
    let (status, headers) = (resp.status(), resp.headers().clone());
    Fetched {
        status,
        headers,
        body: resp.text().await.expect("body"),
    }
}

async fn get_url(app: &TestApp, url: &str) -> Fetched {
    let path = url
        .strip_prefix(&app.app.url())
        .unwrap_or_else(|| panic!("a link of the running site ({}), got {url}", app.app.url()));
    app.get(path).await
}

/// Subscribes through the form and returns the page's heading.
async fn subscribe(app: &TestApp, email: &str, topics: &[&str]) -> (StatusCode, String) {
    let mut fields = vec![("email", email)];
    fields.extend(topics.iter().map(|t| ("topic", *t)));
    let got = post_form(app, "/en/newsletter", &fields).await;
    (got.status, text(&got.doc(), "main h1"))
}

/// Follows a confirmation message's link and presses the button on its page.
async fn confirm(app: &TestApp, message: &Value) -> Html {
    let link = links_in_text(part(message, "text/plain"))
        .into_iter()
        .find(|l| l.contains("/newsletter/confirm?t="))
        .expect("a confirmation link");
    let page = get_url(app, &link).await;
    assert_eq!(page.status, StatusCode::OK);
    let action = attrs(&page.doc(), "main form", "action").remove(0);
    let done = post_form(app, &action, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    done.doc()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weekly_digest_double_opt_in_send_links_and_one_click_unsubscribe() {
    let Some(mut smtp) = SmtpSink::start() else {
        return;
    };
    let archive = TestArchive::fresh_with_config(&smtp.config()).await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    assert!(archive.import(&[sample]).await.rejected.is_empty());
    let app = archive.serve().await;
    let store = app.archive.store.clone();

    // The form is offered from every page's footer.
    let home = app.page("/en/").await;
    assert!(attrs(&home, "footer a", "href").contains(&"/en/newsletter".to_string()));
    let form = app.page("/en/newsletter").await;
    assert_eq!(
        attrs(&form, "main form input[name=topic]", "value").len(),
        5
    );

    // A new address: the answer says to check the inbox, and the confirmation arrives.
    let (status, heading) = subscribe(&app, "Reader.One@Example.org", &[]).await;
    assert_eq!(
        (status, heading.as_str()),
        (StatusCode::OK, "Check your inbox")
    );
    let confirmation = smtp.next().await;
    assert_eq!(
        confirmation["rcpt"],
        serde_json::json!(["reader.one@example.org"])
    );
    assert!(header(&confirmation, "Subject").contains("confirm your subscription"));
    // Nothing is sent before the address is confirmed.
    let week = store
        .latest_period(Language::En)
        .await
        .expect("store")
        .expect("the sample has weeks");
    let counts = store.subscriber_counts(Language::En).await.expect("counts");
    assert_eq!(counts, (1, 0, 0, 0), "pending, confirmed, left, suppressed");
    let confirmed = confirm(&app, &confirmation).await;
    assert_eq!(text(&confirmed, "main h1"), "You are subscribed");
    // The page says nothing of the address.
    assert!(!confirmed.html().contains("reader.one"));

    // Asking again with a confirmed address gets the very same answer; the reader is told
    // by e-mail instead, with the preferences link.
    let again = subscribe(&app, "reader.one@example.org", &[]).await;
    assert_eq!(again, (StatusCode::OK, "Check your inbox".to_string()));
    let note = smtp.next().await;
    assert!(header(&note, "Subject").contains("your subscription"));
    assert!(part(&note, "text/plain").contains("/en/newsletter/preferences?t="));

    // A reader of one topic, and one whose server will refuse the digest.
    let one_topic = "security";
    subscribe(&app, "reader.two@example.org", &[one_topic]).await;
    confirm(&app, &smtp.next().await).await;
    subscribe(&app, "gone@example.org", &[]).await;
    confirm(&app, &smtp.next().await).await;
    smtp.refuse("gone@example.org");
    assert_eq!(
        store.subscriber_counts(Language::En).await.expect("counts"),
        (0, 3, 0, 0)
    );

    // A malformed address is refused next to the field.
    let bad = post_form(&app, "/en/newsletter", &[("email", "not-an-address")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&bad.doc(), "#newsletter-error").contains("not an e-mail address"));

    // An editor sends the week's digest from the desk.
    let editor = desk_account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;
    let sent = app
        .client
        .post(format!("{}/desk/digest", app.app.url()))
        .header("origin", app.app.url())
        .header("cookie", &editor.cookie)
        .form(&[
            ("csrf", editor.csrf.as_str()),
            ("week", &week.to_string()),
            ("lang", "en"),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(sent.status(), StatusCode::OK);
    let sent = Html::parse_document(&sent.text().await.expect("body"));
    assert!(text(&sent, "#digest-notice").contains("3 readers"));
    let mut digests = BTreeMap::new();
    for _ in 0..2 {
        let m = smtp.next().await;
        digests.insert(m["rcpt"][0].as_str().expect("rcpt").to_string(), m);
    }
    let overview = app.page(&format!("/en/weeks/{}", week.url_slug())).await;
    let week_headlines = texts(&overview, ".card-title a");
    assert_eq!(week_headlines.len(), 5, "the sample's week has every topic");

    let full = &digests["reader.one@example.org"];
    assert_eq!(full["content_type"], "multipart/alternative");
    assert!(header(full, "Subject").contains(&week.label(Language::En)));
    // RFC 8058: one-click unsubscribe, in the headers.
    let list_unsubscribe = header(full, "List-Unsubscribe");
    assert!(list_unsubscribe.starts_with("<http") && list_unsubscribe.ends_with('>'));
    assert_eq!(
        header(full, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    // Every topic with its marker, headline and link: the weekly overview's commentaries.
    let html = Html::parse_document(part(full, "text/html"));
    assert_eq!(texts(&html, "h2 a"), week_headlines);
    let markers = texts(&html, "span.marker");
    assert_eq!(markers.len(), 5);
    for m in &markers {
        assert!(
            ["▲", "■", "▼", "○"].iter().any(|s| m.starts_with(s)),
            "a status marker: {m}"
        );
    }
    let plain = part(full, "text/plain");
    for h in &week_headlines {
        assert!(plain.contains(h.as_str()), "the text part has {h}");
    }
    // Every link of both parts works against the running site.
    let mut links = attrs(&html, "a", "href");
    links.extend(links_in_text(plain));
    assert!(links.len() >= 8, "{links:?}");
    for link in &links {
        let got = get_url(&app, link).await;
        assert_eq!(got.status, StatusCode::OK, "{link}");
    }

    // The one-topic reader gets that topic only.
    let partial = Html::parse_document(part(&digests["reader.two@example.org"], "text/html"));
    assert_eq!(texts(&partial, "h2 a").len(), 1);

    // The refused address is recorded and suppressed; the desk shows the counts.
    let send = store.digest_sends(1).await.expect("sends").remove(0);
    assert_eq!(
        (send.sent, send.failed, send.pending),
        (2, 1, 0),
        "two sent, one refused"
    );
    assert_eq!(
        store.subscriber_counts(Language::En).await.expect("counts"),
        (0, 2, 0, 1)
    );
    let desk = Html::parse_document(
        &app.client
            .get(format!("{}/desk/digest", app.app.url()))
            .header("cookie", &editor.cookie)
            .send()
            .await
            .expect("desk")
            .text()
            .await
            .expect("body"),
    );
    let row = texts(&desk, "#digest-sends tbody td");
    assert_eq!(row[..2], [week.to_string(), "en".to_string()]);
    assert_eq!(row[3..5], ["2".to_string(), "1".to_string()]);

    // Sending the same week again sends nobody anything twice.
    let again = app
        .archive
        .store
        .start_digest_send(week, Language::En, None, time::OffsetDateTime::now_utc())
        .await
        .expect("start");
    assert_eq!((again.id, again.sent, again.pending), (send.id, 2, 0));

    // One-click unsubscribe, as a mail program does it: a POST with no cookie or Origin.
    let url = list_unsubscribe
        .trim_start_matches('<')
        .trim_end_matches('>');
    let resp = app
        .client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("one-click");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        store.subscriber_counts(Language::En).await.expect("counts"),
        (0, 1, 1, 1)
    );
    // A forged or altered link is refused, with one message for every case.
    let forged = url.replace("?t=", "?t=9");
    let refused = post_form(&app, &forged, &[]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(
        text(&refused.doc(), "#newsletter-error"),
        "This link is not valid or has expired."
    );
}

#[tokio::test]
async fn subscription_requests_are_throttled_per_client_without_telling_anything() {
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let app = TestArchive::fresh_with_config(&smtp.config())
        .await
        .serve()
        .await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let (status, heading) = subscribe(&app, &format!("r{i}@example.org"), &[]).await;
        statuses.push(status);
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(heading, "The weekly digest");
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(statuses[7], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn without_mail_settings_there_is_no_newsletter() {
    let app = sample_site().await;
    assert_eq!(
        app.get("/en/newsletter").await.status,
        StatusCode::NOT_FOUND
    );
    let home = app.page("/en/").await;
    assert!(!attrs(&home, "footer a", "href").contains(&"/en/newsletter".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_send_killed_half_way_resumes_without_sending_anyone_twice() {
    let Some(mut smtp) = SmtpSink::start() else {
        return;
    };
    let archive = sample_archive_mailing(&smtp, 40).await;
    let store = archive.store.clone();
    const READERS: usize = 30;
    let week = confirmed_readers(&store, "reader", READERS).await;
    // One reader's server refuses, repeating the address in its answer as Postfix does.
    smtp.refuse("reader29@example.org");
    let data = archive.dir.path().to_path_buf();
    let command = move |week: &str| digest_send_command(&data, week);
    // Killed (SIGKILL) once the server has accepted ten messages.
    let mut first = command(&week).spawn().expect("digest send starts");
    let mut received = Vec::new();
    for _ in 0..10 {
        received.push(smtp.next().await);
    }
    first.kill().expect("kill -9");
    first.wait().expect("reaped");
    // Run again: it completes the send.
    let second = tokio::task::spawn_blocking(move || command(&week).output())
        .await
        .expect("joined")
        .expect("runs");
    // A refused message makes the command exit 1, saying so.
    assert_eq!(
        second.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(String::from_utf8_lossy(&second.stdout).contains("refused 1"));
    // The second run found the send half done.
    let said = String::from_utf8_lossy(&second.stdout).to_string();
    let left: u64 = said
        .split(" left to send")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the command says what is left: {said}"));
    assert!(
        (1..READERS as u64).contains(&left),
        "killed half-way: {said}"
    );
    let send = store.digest_sends(1).await.expect("sends").remove(0);
    assert_eq!(send.pending, 0);
    assert_eq!(send.failed, 1, "{send:?}");
    assert_eq!(
        send.sent + send.interrupted + send.failed,
        READERS as u64,
        "{send:?}"
    );
    assert!(
        send.interrupted <= 1,
        "at most the message in flight: {send:?}"
    );
    // What the server accepted: everyone at most once, and everyone recorded as sent among
    // them.
    while received.len() < send.sent as usize + send.interrupted as usize {
        match tokio::time::timeout(Duration::from_secs(5), smtp.messages.recv()).await {
            Ok(Some(m)) => received.push(m),
            _ => break,
        }
    }
    let per_reader = messages_per_reader(&received);
    assert!(
        per_reader.values().all(|n| *n == 1),
        "nobody twice: {per_reader:?}"
    );
    assert!(per_reader.len() >= READERS - 2, "{}", per_reader.len());
    assert!(!per_reader.contains_key("reader29@example.org"));
    // The processes' output never names an address.
    let output = String::from_utf8_lossy(&second.stdout).to_string()
        + &String::from_utf8_lossy(&second.stderr);
    assert!(!output.contains("@example.org"), "{output}");
}

/// The sample archive, with e-mail to `smtp` at `per_second` messages a second and a public
/// address (links are not followed; the address only has to be configured).
async fn sample_archive_mailing(smtp: &SmtpSink, per_second: u32) -> TestArchive {
    let config = format!(
        "{}\n[site]\nbase_url = \"http://monitor.example\"\n",
        smtp.config()
            .replace("per_second = 200", &format!("per_second = {per_second}"))
    );
    let archive = TestArchive::fresh_with_config(&config).await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    assert!(archive.import(&[sample]).await.rejected.is_empty());
    archive
}

/// How many of `received` went to each address.
fn messages_per_reader(received: &[Value]) -> BTreeMap<String, usize> {
    let mut per_reader: BTreeMap<String, usize> = BTreeMap::new();
    for m in received {
        *per_reader
            .entry(m["rcpt"][0].as_str().expect("rcpt").to_string())
            .or_default() += 1;
    }
    per_reader
}

/// Subscribes and confirms `count` English readers (`{prefix}NN@example.org`, every topic);
/// returns the latest English week, the one a digest sends.
async fn confirmed_readers(
    store: &std::sync::Arc<dyn trendwatch_store::Store>,
    prefix: &str,
    count: usize,
) -> String {
    let now = time::OffsetDateTime::now_utc();
    for i in 0..count {
        let request = SubscriptionRequest {
            email: format!("{prefix}{i:02}@example.org"),
            language: Language::En,
            topics: Vec::new(),
        };
        let id = match store.subscribe(&request, now).await.expect("subscribe") {
            trendwatch_core::newsletter::SubscribeOutcome::NeedsConfirmation(id) => id,
            other => panic!("a new address: {other:?}"),
        };
        assert!(store.confirm_subscriber(id, now).await.expect("confirm"));
    }
    store
        .latest_period(Language::En)
        .await
        .expect("store")
        .expect("weeks")
        .to_string()
}

/// `trendwatch digest send` of `week` in English on the archive in `data`, its output piped.
fn digest_send_command(data: &std::path::Path, week: &str) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_trendwatch"));
    c.arg("--data")
        .arg(data)
        .args(["digest", "send", "--week", week, "--lang", "en"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

/// A web node that starts while the CLI is sending a digest resumes that unfinished send, as
/// every node does, but stands by: the CLI holds the send's lock, so the node sends nothing
/// beside it (the pace stays the CLI's). When the CLI is killed (SIGKILL) half-way, its lock
/// ends with it, and the node takes the send over and finishes it; nobody gets it twice.
#[tokio::test]
async fn a_node_stands_by_while_the_cli_sends_a_digest_and_takes_over_when_it_is_killed() {
    let Some(mut smtp) = SmtpSink::start() else {
        return;
    };
    // The CLI sends four messages a second.
    let archive = sample_archive_mailing(&smtp, 4).await;
    let store = archive.store.clone();
    const READERS: usize = 12;
    let week = confirmed_readers(&store, "standby", READERS).await;
    let mut cli = digest_send_command(archive.dir.path(), &week)
        .spawn()
        .expect("digest send starts");
    let mut received = vec![smtp.next().await];
    // The node would send a thousand a second, were the send its to run.
    const TOKEN: &str = "standby-metrics-token-0123456789abcdef";
    let mut fast = archive.config.clone();
    fast.file.mail.per_second = 1000.0;
    fast.file.metrics.token = Some(TOKEN.into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let node = trendwatch::start(listener, store.clone(), &fast)
        .await
        .expect("the node starts");
    // The node found the send and stands by, as its metrics say.
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    loop {
        let metrics = client
            .get(format!("{}/metrics", node.url()))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        if metrics.lines().any(|l| l == "digest_sends_standing_by 1") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the node never stood by: {metrics}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Two more at the CLI's pace, a quarter of a second apart: a node sending beside the
    // CLI at its own pace would have claimed every reader by now.
    received.push(smtp.next().await);
    received.push(smtp.next().await);
    let midway = store.digest_sends(1).await.expect("sends").remove(0);
    assert!(
        midway.pending as usize + received.len() + 1 >= READERS,
        "only the CLI sends while it runs: {midway:?} after {} messages",
        received.len()
    );
    cli.kill().expect("kill -9");
    cli.wait().expect("reaped");
    let at_kill = received.len();
    // The node takes the send over and finishes it.
    let started = std::time::Instant::now();
    let done = loop {
        if let Ok(Some(m)) =
            tokio::time::timeout(Duration::from_millis(100), smtp.messages.recv()).await
        {
            received.push(m);
        }
        let send = store.digest_sends(1).await.expect("sends").remove(0);
        if send.finished() {
            break send;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the node did not finish the send: {send:?}"
        );
    };
    // Anything more the server accepted would be a second copy.
    while let Ok(Some(m)) =
        tokio::time::timeout(Duration::from_millis(500), smtp.messages.recv()).await
    {
        received.push(m);
    }
    assert_eq!(done.failed + done.skipped, 0, "{done:?}");
    assert_eq!(done.sent + done.interrupted, READERS as u64, "{done:?}");
    assert!(
        done.interrupted <= 1,
        "at most the CLI's message in flight: {done:?}"
    );
    assert!(
        received.len() >= READERS - 1 && received.len() > at_kill + 1,
        "the node sent the rest: {} messages, {at_kill} before the kill",
        received.len()
    );
    let per_reader = messages_per_reader(&received);
    assert!(
        per_reader.values().all(|n| *n == 1),
        "nobody twice: {per_reader:?}"
    );
    drop(node);
}

/// A site with e-mail to `smtp`, the sample archive, and an editor signed in.
async fn mail_site(smtp: &SmtpSink) -> (TestApp, DeskSession) {
    let archive = TestArchive::fresh_with_config(&smtp.config()).await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    assert!(archive.import(&[sample]).await.rejected.is_empty());
    let app = archive.serve().await;
    let editor = desk_account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;
    (app, editor)
}

async fn desk_post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.app.url()))
        .header("origin", app.app.url())
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .expect("request")
}

/// The editor's sign-in with the password a reset chose.
async fn sign_in_with_new_password(app: &TestApp) -> reqwest::Response {
    desk_post(
        app,
        "/desk/login",
        "",
        &[
            ("email", "ed@example.org"),
            ("password", "a brand new passphrase"),
        ],
    )
    .await
}

/// The site path of the reset link in a password-reset message.
fn reset_path(app: &TestApp, message: &Value) -> String {
    let link = links_in_text(part(message, "text/plain"))
        .into_iter()
        .find(|l| l.contains("/desk/reset/"))
        .expect("a reset link");
    link.strip_prefix(&app.app.url())
        .expect("the site's link")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a2_reset_always_same_reply() {
    let Some(mut smtp) = SmtpSink::start() else {
        return;
    };
    let (app, editor) = mail_site(&smtp).await;
    let login = app.page("/desk/login").await;
    assert!(attrs(&login, "a", "href").contains(&"/desk/login/forgot".to_string()));
    let mut answers = Vec::new();
    for email in ["nobody@example.org", "ed@example.org", "not an address"] {
        let r = desk_post(&app, "/desk/login/forgot", "", &[("email", email)]).await;
        answers.push((r.status(), r.text().await.expect("body")));
    }
    assert_eq!(answers[0].0, StatusCode::OK);
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "one answer, byte for byte, for every address"
    );
    let message = smtp.next().await;
    assert_eq!(message["rcpt"], serde_json::json!(["ed@example.org"]));
    let path = reset_path(&app, &message);

    // The link's form sets the password; the old session ends, the new password signs in.
    assert_eq!(app.get(&path).await.status, StatusCode::OK);
    let short = desk_post(&app, &path, "", &[("password", "short")]).await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = desk_post(&app, &path, "", &[("password", "a brand new passphrase")]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let account = app
        .get_with("/desk/account", &[("cookie", editor.cookie.as_str())])
        .await;
    assert_eq!(
        account.status,
        StatusCode::SEE_OTHER,
        "the old session ended"
    );
    let signed_in = sign_in_with_new_password(&app).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert!(signed_in.headers().contains_key("set-cookie"));
    // The link works once.
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
    // The unknown address and the malformed one got no e-mail.
    assert!(smtp.messages.try_recv().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a4_reset_does_not_bypass_two_step() {
    use trendwatch_service::two_step::{code_at, decode_secret};
    let Some(mut smtp) = SmtpSink::start() else {
        return;
    };
    let (app, editor) = mail_site(&smtp).await;
    let setup = desk_post(
        &app,
        "/desk/account/two-step/start",
        &editor.cookie,
        &[("csrf", editor.csrf.as_str())],
    )
    .await
    .text()
    .await
    .expect("body");
    let secret = decode_secret(&attrs(&Html::parse_document(&setup), "#secret", "value").remove(0))
        .expect("base32");
    let code = code_at(&secret, time::OffsetDateTime::now_utc()).expect("code");
    let confirmed = desk_post(
        &app,
        "/desk/account/two-step/confirm",
        &editor.cookie,
        &[("csrf", editor.csrf.as_str()), ("code", code.as_str())],
    )
    .await;
    assert_eq!(confirmed.status(), StatusCode::OK);

    desk_post(
        &app,
        "/desk/login/forgot",
        "",
        &[("email", "ed@example.org")],
    )
    .await;
    let message = smtp.next().await;
    let path = reset_path(&app, &message);
    let done = desk_post(&app, &path, "", &[("password", "a brand new passphrase")]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    // The new password alone opens no session: the code is still asked for.
    let signed_in = sign_in_with_new_password(&app).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], "/desk/login/code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_arrives_by_email_and_its_link_creates_the_account() {
    let Some(mut smtp) = SmtpSink::start() else {
        return;
    };
    let (app, _editor) = mail_site(&smtp).await;
    let admin = desk_account(&app, "admin@example.org", "Ada Admin", Role::Admin).await;
    let page = desk_post(
        &app,
        "/desk/users/invite",
        &admin.cookie,
        &[
            ("csrf", admin.csrf.as_str()),
            ("email", "New.Analyst@example.org"),
            ("role", "analyst"),
        ],
    )
    .await
    .text()
    .await
    .expect("body");
    let shown = attrs(&Html::parse_document(&page), "#invitation-link", "value").remove(0);
    let message = smtp.next().await;
    assert_eq!(
        message["rcpt"],
        serde_json::json!(["new.analyst@example.org"])
    );
    assert!(header(&message, "Subject").contains("invitation"));
    let links = links_in_text(part(&message, "text/plain"));
    assert_eq!(
        links,
        vec![shown.clone()],
        "the e-mail carries the link the admin saw"
    );
    let path = shown
        .strip_prefix(&app.app.url())
        .expect("the site's link")
        .to_string();
    let created = desk_post(
        &app,
        &path,
        "",
        &[
            ("name", "Nina Analyst"),
            ("password", "a long enough passphrase"),
        ],
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert!(app
        .archive
        .store
        .user_by_email("new.analyst@example.org")
        .await
        .expect("store")
        .is_some());
}
