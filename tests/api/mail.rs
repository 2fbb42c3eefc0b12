//! Email, against a real SMTP server on port 0 (a sink that keeps what it is sent): invitations,
//! password resets, confirmed sign-ups, deadline nudges, the weekly digest, one-click
//! unsubscribe, and an outbox that loses nothing to an outage and sends once with two servers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{Datelike, TimeDelta};
use hindsight_api::config::Config;
use hindsight_api::mail::{Mailer, outbox};
use hindsight_api::{AppState, events};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::actions::{Crew, PUBLISH_QUERY, crew, ready_but_for_actions};
use crate::harness::{PASSWORD, Session, TestApp, session_from};

/// One message the sink received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub list_unsubscribe: Option<String>,
    pub list_unsubscribe_post: Option<String>,
}

impl Mail {
    /// The first link in the text body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        let start = self.text.find(prefix).unwrap_or_else(|| panic!("no link {prefix} in:\n{}", self.text));
        self.text[start..].split_whitespace().next().unwrap().to_owned()
    }

    /// The `token` parameter of that link.
    pub fn token(&self, prefix: &str) -> String {
        let link = url::Url::parse(&self.link(prefix)).unwrap();
        link.query_pairs().find(|(k, _)| k == "token").map(|(_, v)| v.into_owned()).expect("a token parameter")
    }
}

/// An SMTP server on port 0 that accepts every message (or, while down, refuses every
/// connection with 421) and keeps what it is sent.
#[derive(Clone)]
pub struct Sink {
    pub port: u16,
    got: Arc<Mutex<Vec<Mail>>>,
    down: Arc<AtomicBool>,
}

impl Sink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = Sink { port: listener.local_addr().unwrap().port(), got: Arc::default(), down: Arc::default() };
        let serving = sink.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                tokio::spawn(serving.clone().converse(socket));
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Mail> {
        self.got.lock().unwrap().clone()
    }

    /// What was sent to `address`.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.received().into_iter().filter(|m| m.to.iter().any(|to| to == address)).collect()
    }

    async fn converse(self, socket: tokio::net::TcpStream) {
        let (read, mut write) = socket.into_split();
        if self.down.load(Ordering::SeqCst) {
            write.write_all(b"421 sink is down, try later\r\n").await.ok();
            return;
        }
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink ESMTP\r\n").await.ok();
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let command = line.trim_end().to_ascii_uppercase();
            let answer: &[u8] = if command.starts_with("EHLO") {
                b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if command.starts_with("HELO") || command.starts_with("NOOP") {
                b"250 OK\r\n"
            } else if self.down.load(Ordering::SeqCst) {
                // Gone down while a pooled connection was open.
                write.write_all(b"421 sink is down, try later\r\n").await.ok();
                return;
            } else if command.starts_with("RSET") || command.starts_with("MAIL FROM") {
                to.clear();
                b"250 OK\r\n"
            } else if command.starts_with("RCPT TO") {
                let address = line.trim_end()[8..].trim().trim_start_matches('<').trim_end_matches('>');
                to.push(address.to_owned());
                b"250 OK\r\n"
            } else if command == "DATA" {
                write.write_all(b"354 go ahead\r\n").await.ok();
                let mut raw = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    raw.extend_from_slice(unstuffed.as_bytes());
                }
                self.got.lock().unwrap().push(parse(std::mem::take(&mut to), &raw));
                b"250 queued\r\n"
            } else if command == "QUIT" {
                write.write_all(b"221 bye\r\n").await.ok();
                return;
            } else {
                b"502 not implemented\r\n"
            };
            if write.write_all(answer).await.is_err() {
                return;
            }
        }
    }
}

fn parse(to: Vec<String>, raw: &[u8]) -> Mail {
    let message = mail_parser::MessageParser::default().parse(raw).expect("an RFC 5322 message");
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_owned());
    Mail {
        to,
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: message.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
        list_unsubscribe: header("List-Unsubscribe"),
        list_unsubscribe_post: header("List-Unsubscribe-Post"),
    }
}

const PUBLIC: &str = "https://app.example/";

fn mail_settings(config: &mut Config, sink: &Sink) {
    config.smtp_url = Some(sink.url());
    config.public_url = Some(PUBLIC.parse().unwrap());
    config.public_api_url = Some("https://api.example/".parse().unwrap());
    config.mail_retry_schedule = hindsight_api::config::Config::defaults().mail_retry_schedule;
}

/// An app that sends email to `sink`.
async fn mail_app(sink: &Sink) -> TestApp {
    let sink = sink.clone();
    TestApp::with_config(move |config| mail_settings(config, &sink)).await
}

/// `state` as it would be with email on (the crews of other tests sign up without it).
fn with_mail(state: &AppState, sink: &Sink) -> AppState {
    let mut config = (*state.config).clone();
    mail_settings(&mut config, sink);
    let mut state = state.clone();
    state.mailer = Arc::new(Mailer::new(&config, state.mailer.secrets.clone()).unwrap());
    state
}

async fn deliver(state: &AppState) {
    outbox::run_once(state).await.expect("a mail round");
}

const SIGN_UP: &str = "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken refreshToken user { id email } } }";
const ME: &str = "{ me { id email notificationPreferences { nudges digest } } }";

async fn sign_up(app: &TestApp, organization: &str, email: &str) -> Session {
    let answer = app
        .exec(
            None,
            SIGN_UP,
            json!({ "i": { "organizationName": organization, "email": email, "password": PASSWORD, "displayName": "Ada Admin" } }),
        )
        .await;
    session_from(&answer.data()["signUp"])
}

/// Signs up with email on and follows the confirmation link; answers the confirmed session.
async fn confirmed_sign_up(app: &TestApp, sink: &Sink, organization: &str, email: &str) -> Session {
    sign_up(app, organization, email).await;
    deliver(&app.state).await;
    let mail = sink.to(email).pop().expect("a confirmation email");
    let token = mail.token(&format!("{PUBLIC}verify-email"));
    let answer = app
        .exec(
            None,
            "mutation($t: String!, $p: String!) { verifyEmail(token: $t, password: $p) { accessToken refreshToken user { id } } }",
            json!({ "t": token, "p": PASSWORD }),
        )
        .await;
    session_from(&answer.data()["verifyEmail"])
}

async fn count_messages(state: &AppState) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::mail_message::Entity::find().count(&state.db).await.unwrap()
}

/// Waits until `n` messages are queued (a reset is queued after its request is answered), and a
/// moment more, so that one queued too many would show.
async fn queued(state: &AppState, n: u64) {
    for _ in 0..500 {
        if count_messages(state).await >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(count_messages(state).await, n);
}

#[tokio::test]
async fn an_invitation_arrives_with_a_link_that_works() {
    let sink = Sink::start().await;
    let app = mail_app(&sink).await;
    let admin = confirmed_sign_up(&app, &sink, "Acme", "ada@acme.test").await;
    let answer = app
        .exec(
            Some(&admin.token),
            "mutation { inviteUser(input: { email: \"Bo@Acme.test\", role: MEMBER }) { token invitation { email } } }",
            json!({}),
        )
        .await;
    // The token goes to the address alone: accepting proves the invitee holds it.
    assert_eq!(answer.data()["inviteUser"]["token"], "");
    deliver(&app.state).await;
    let mails = sink.to("bo@acme.test");
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let mail = &mails[0];
    assert_eq!(mail.subject, "Join Acme on Hindsight");
    assert!(mail.text.contains("Ada Admin invited you to join Acme"), "{}", mail.text);
    assert!(mail.html.contains("Accept the invitation"), "{}", mail.html);
    assert_eq!(mail.list_unsubscribe, None, "transactional mail has no unsubscribe");
    let token = mail.token(&format!("{PUBLIC}accept-invitation"));
    let joined = app.accept(&token, PASSWORD, "Bo").await;
    assert_eq!(joined.data()["acceptInvitation"]["user"]["email"], "bo@acme.test");
    // Sent once: another round sends nothing more.
    deliver(&app.state).await;
    assert_eq!(sink.to("bo@acme.test").len(), 1);
}

#[tokio::test]
async fn a_reset_works_once_and_ends_every_other_session() {
    let sink = Sink::start().await;
    let app = mail_app(&sink).await;
    let admin = confirmed_sign_up(&app, &sink, "Acme", "ada@acme.test").await;
    let other_session = session_from(&app.login("ada@acme.test", PASSWORD).await.data()["login"]);
    let request = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    let before = count_messages(&app.state).await;
    let asked = app.exec(None, request, json!({ "e": "ADA@acme.test" })).await;
    assert_eq!(asked.data()["requestPasswordReset"], true);
    queued(&app.state, before + 1).await;
    deliver(&app.state).await;
    let mail = sink.to("ada@acme.test").pop().unwrap();
    assert_eq!(mail.subject, "Reset your Hindsight password");
    let token = mail.token(&format!("{PUBLIC}reset-password"));

    let reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { accessToken refreshToken user { id } } }";
    let done = app.exec(None, reset, json!({ "t": token, "p": "a brand new passphrase" })).await;
    let fresh = session_from(&done.data()["resetPassword"]);
    assert_eq!(fresh.user_id, admin.user_id);
    // Every other session ended: access tokens and refresh tokens.
    for old in [&admin, &other_session] {
        let me = app.exec(Some(&old.token), ME, json!({})).await;
        me.assert_error("UNAUTHENTICATED", None);
        let refreshed = app
            .exec(
                None,
                "mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }",
                json!({ "r": old.refresh_token }),
            )
            .await;
        refreshed.assert_error("UNAUTHENTICATED", None);
    }
    assert_eq!(app.exec(Some(&fresh.token), ME, json!({})).await.data()["me"]["id"], admin.user_id);
    // With email on, no admin holds a way into someone else's account.
    let issue = "mutation($u: ID!) { createPasswordReset(userId: $u) { token } }";
    app.exec(Some(&fresh.token), issue, json!({ "u": admin.user_id })).await.assert_error("INVALID_STATE", None);
    // Once only.
    let again = app.exec(None, reset, json!({ "t": token, "p": "yet another passphrase" })).await;
    again.assert_error("BAD_USER_INPUT", Some("token"));
    app.login("ada@acme.test", PASSWORD).await.assert_error("UNAUTHENTICATED", None);
    app.login("ada@acme.test", "a brand new passphrase").await.data();
    // A link older than an hour does not work.
    app.exec(None, request, json!({ "e": "ada@acme.test" })).await.data();
    queued(&app.state, before + 2).await;
    deliver(&app.state).await;
    let late = sink.to("ada@acme.test").pop().unwrap().token(&format!("{PUBLIC}reset-password"));
    app.state.clock.advance(TimeDelta::minutes(61));
    let expired = app.exec(None, reset, json!({ "t": late, "p": "a third passphrase" })).await;
    expired.assert_error("BAD_USER_INPUT", Some("token"));
}

#[tokio::test]
async fn a_reset_for_an_unknown_address_sends_nothing_and_answers_the_same() {
    let sink = Sink::start().await;
    let app = mail_app(&sink).await;
    confirmed_sign_up(&app, &sink, "Acme", "ada@acme.test").await;
    let before = count_messages(&app.state).await;
    let request = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    let known = app.exec(None, request, json!({ "e": "ada@acme.test" })).await;
    let unknown = app.exec(None, request, json!({ "e": "nobody@acme.test" })).await;
    assert_eq!(known.0, unknown.0);
    // Only the known address gets a message.
    queued(&app.state, before + 1).await;
    deliver(&app.state).await;
    assert!(sink.to("nobody@acme.test").is_empty());
    // One account gets at most three links an hour, still answering the same.
    for _ in 0..4 {
        assert_eq!(app.exec(None, request, json!({ "e": "ada@acme.test" })).await.0, known.0);
    }
    queued(&app.state, before + 3).await;
    deliver(&app.state).await;
    assert_eq!(sink.to("ada@acme.test").iter().filter(|m| m.subject.contains("Reset")).count(), 3);
}

#[tokio::test]
async fn without_email_a_reset_request_sends_nothing_and_an_admin_issues_the_link() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let member = app.invite_and_join(&admin, "bo@acme.test", "MEMBER").await;
    let asked = app.exec(None, "mutation { requestPasswordReset(email: \"bo@acme.test\") }", json!({})).await;
    assert_eq!(asked.data()["requestPasswordReset"], true);
    assert_eq!(count_messages(&app.state).await, 0);

    let issue = "mutation($u: ID!) { createPasswordReset(userId: $u) { token url expiresAt user { email } } }";
    app.exec(Some(&member.token), issue, json!({ "u": admin.user_id })).await.assert_error("FORBIDDEN", None);
    let issued = app.exec(Some(&admin.token), issue, json!({ "u": member.user_id })).await;
    let issued = &issued.data()["createPasswordReset"];
    assert_eq!(issued["user"]["email"], "bo@acme.test");
    assert_eq!(issued["url"], Value::Null, "no --public-url, no link");
    // The log says who issued it (to the member and admins only).
    let history = "query($s: ID!) { history(subjectId: $s) { nodes { kind actor { id } } } }";
    let log = app.exec(Some(&admin.token), history, json!({ "s": member.user_id })).await;
    let nodes = log.data()["history"]["nodes"].as_array().unwrap().clone();
    assert!(
        nodes.iter().any(|e| e["kind"] == "PASSWORD_RESET_ISSUED" && e["actor"]["id"] == admin.user_id),
        "{nodes:#?}"
    );
    let reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { user { email } } }";
    let done = app.exec(None, reset, json!({ "t": issued["token"], "p": "bo's new passphrase" })).await;
    assert_eq!(done.data()["resetPassword"]["user"]["email"], "bo@acme.test");
    app.exec(Some(&member.token), ME, json!({})).await.assert_error("UNAUTHENTICATED", None);

    // Another organization's admin cannot reach this member.
    let stranger = app.sign_up("Globex", "gil@globex.test").await;
    app.exec(Some(&stranger.token), issue, json!({ "u": member.user_id })).await.assert_error("NOT_FOUND", None);
    // Nor can an API token.
    let token = app.api_token(&admin, "WRITE").await;
    app.exec(Some(&token), issue, json!({ "u": member.user_id })).await.assert_error("FORBIDDEN", None);
}

#[tokio::test]
async fn a_sign_up_is_usable_once_its_address_is_confirmed() {
    let sink = Sink::start().await;
    let app = mail_app(&sink).await;
    let pending = sign_up(&app, "Acme", "ada@acme.test").await;
    let me = app.exec(Some(&pending.token), ME, json!({})).await;
    me.assert_error("UNAUTHENTICATED", None);
    assert_eq!(me.errors()[0]["extensions"]["reason"], "EMAIL_UNVERIFIED");
    // Signing in waits for the confirmation too, answering as for an unknown address (so that
    // logging in with one's own sign-up tells nothing of who else holds the address).
    let login = app.login("ada@acme.test", PASSWORD).await;
    assert_eq!(login.errors()[0]["extensions"]["reason"], "WRONG_CREDENTIALS");

    deliver(&app.state).await;
    let mail = sink.to("ada@acme.test").pop().unwrap();
    assert_eq!(mail.subject, "Confirm your address for Acme");
    let token = mail.token(&format!("{PUBLIC}verify-email"));
    let verify = "mutation($t: String!, $p: String!) { verifyEmail(token: $t, password: $p) { user { email } } }";
    let verified = |t: &str, p: &str| app.exec(None, verify, json!({ "t": t, "p": p }));
    verified("hsv_not-a-token", PASSWORD).await.assert_error("BAD_USER_INPUT", Some("token"));
    // The link alone is not enough: the owner of an address someone else signed up with cannot
    // be made to confirm an account whose password that someone knows.
    verified(&token, "not the sign-up's password").await.assert_error("BAD_USER_INPUT", Some("password"));
    assert_eq!(verified(&token, PASSWORD).await.data()["verifyEmail"]["user"]["email"], "ada@acme.test");
    // The sign-up's own tokens work from now on; the link works once.
    assert_eq!(app.exec(Some(&pending.token), ME, json!({})).await.data()["me"]["email"], "ada@acme.test");
    verified(&token, PASSWORD).await.assert_error("BAD_USER_INPUT", Some("token"));
    app.login("ada@acme.test", PASSWORD).await.data();
}

#[tokio::test]
async fn sign_up_answers_the_same_for_a_taken_address_and_tells_its_owner() {
    let sink = Sink::start().await;
    let app = mail_app(&sink).await;
    let owner = confirmed_sign_up(&app, &sink, "Acme", "ada@acme.test").await;
    let shape = |answer: &crate::harness::Answer| {
        let payload = &answer.data()["signUp"];
        (payload["accessToken"].is_string(), payload["refreshToken"].is_string(), payload["user"]["email"].clone())
    };
    let input = |email: &str| json!({ "i": { "organizationName": "Evil", "email": email, "password": "someone else's pass", "displayName": "Eve" } });
    let taken = app.exec(None, SIGN_UP, input("ada@acme.test")).await;
    let fresh = app.exec(None, SIGN_UP, input("eve@evil.test")).await;
    assert_eq!(shape(&taken), (true, true, json!("ada@acme.test")));
    assert_eq!(shape(&fresh), (true, true, json!("eve@evil.test")));
    deliver(&app.state).await;
    // The owner is told, with no link that would confirm the attempt.
    let told = sink.to("ada@acme.test").pop().unwrap();
    assert_eq!(told.subject, "Someone tried to sign up with your address");
    assert!(!told.text.contains("token="), "{}", told.text);
    // The owner's account is untouched; the attempt's tokens never work.
    app.login("ada@acme.test", PASSWORD).await.data();
    let attempt = session_from(&taken.data()["signUp"]);
    app.exec(Some(&attempt.token), ME, json!({})).await.assert_error("UNAUTHENTICATED", None);
    assert_eq!(app.exec(Some(&owner.token), ME, json!({})).await.data()["me"]["email"], "ada@acme.test");
}

#[tokio::test]
async fn an_unconfirmed_sign_up_holds_no_address_and_expires() {
    let sink = Sink::start().await;
    let app = mail_app(&sink).await;
    // Someone claims bo's address in a throwaway organization and never confirms it.
    sign_up(&app, "Squatters", "bo@acme.test").await;
    let admin = confirmed_sign_up(&app, &sink, "Acme", "ada@acme.test").await;
    // The real organization invites bo all the same, and bo joins.
    app.invite(&admin, "bo@acme.test", "MEMBER").await;
    deliver(&app.state).await;
    let token = sink.to("bo@acme.test").pop().unwrap().token(&format!("{PUBLIC}accept-invitation"));
    assert_eq!(app.accept(&token, PASSWORD, "Bo").await.data()["acceptInvitation"]["user"]["email"], "bo@acme.test");
    // An admin is not told that an address belongs to another organization.
    let stranger = confirmed_sign_up(&app, &sink, "Globex", "gil@globex.test").await;
    let invited = app
        .exec(
            Some(&stranger.token),
            "mutation { inviteUser(input: { email: \"bo@acme.test\", role: MEMBER }) { invitation { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(invited.data()["inviteUser"]["invitation"]["email"], "bo@acme.test");
    // Inviting an existing member is refused: that is the admin's own organization.
    app.exec(
        Some(&admin.token),
        "mutation { inviteUser(input: { email: \"bo@acme.test\", role: MEMBER }) { token } }",
        json!({}),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("email"));

    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let squatters = || entity::organization::Entity::find().filter(entity::organization::Column::Name.eq("Squatters"));
    assert_eq!(squatters().count(&app.state.db).await.unwrap(), 1);
    app.state.clock.advance(TimeDelta::hours(47));
    events::scanner::scan(&app.state.db, &app.state.clock).await.unwrap();
    assert_eq!(squatters().count(&app.state.db).await.unwrap(), 1, "kept for 48 hours");
    app.state.clock.advance(TimeDelta::hours(2));
    events::scanner::scan(&app.state.db, &app.state.clock).await.unwrap();
    assert_eq!(squatters().count(&app.state.db).await.unwrap(), 0);
    // Confirmed organizations stay.
    assert_eq!(entity::organization::Entity::find().count(&app.state.db).await.unwrap(), 2);
}

/// Moves the crew's clock to the scanner's next announcements and makes the mail of them.
async fn scan_and_deliver(c: &Crew, mailing: &AppState) {
    events::scanner::scan(&c.app.state.db, &c.app.state.clock).await.unwrap();
    deliver(mailing).await;
}

#[tokio::test]
async fn a_mention_and_a_declined_action_reach_the_person_who_must_act() {
    let sink = Sink::start().await;
    let c = crew().await;
    let mailing = with_mail(&c.app.state, &sink);
    let comment = "mutation($r: ID!, $i: CommentInput!) { addComment(reviewId: $r, input: $i) { id } }";
    // Two mentions of the same person on one review in a day: one email.
    for body in ["Can you check the consumer's retry settings?", "And the alert thresholds?"] {
        let input = json!({ "body": body, "mentionIds": [c.viewer.user_id] });
        c.run(&c.member, comment, json!({ "r": c.review, "i": input })).await.data();
    }
    let assign = "mutation($r: ID!, $u: ID!) { assignFacilitator(reviewId: $r, userId: $u) { id } }";
    c.run(&c.lead, assign, json!({ "r": c.review, "u": c.other.user_id })).await.data();
    let action = c.unaccepted_action("Add a dead-letter queue", &c.lead, 10).await;
    let decline = "mutation($a: ID!) { declineAction(id: $a, reason: \"No one free in Payments\") { id } }";
    c.run(&c.lead, decline, json!({ "a": action })).await.data();
    scan_and_deliver(&c, &mailing).await;
    scan_and_deliver(&c, &mailing).await;
    let mentions = sink.to("viewer@acme.test");
    assert_eq!(mentions.len(), 1, "{mentions:#?}");
    assert!(mentions[0].subject.starts_with("You were mentioned: "), "{}", mentions[0].subject);
    assert!(mentions[0].text.contains(&format!("{PUBLIC}reviews/{}", c.review)), "{}", mentions[0].text);
    let declined = sink.to("other@acme.test");
    assert_eq!(declined.len(), 1, "{declined:#?}");
    assert_eq!(declined[0].subject, "Action declined: Add a dead-letter queue");
    assert!(sink.to("member@acme.test").is_empty(), "the author of the comments is not told of them");
}

#[tokio::test]
async fn a_nudge_reaches_the_owner_once_and_its_link_unsubscribes() {
    let sink = Sink::start().await;
    let c = crew().await;
    let mailing = with_mail(&c.app.state, &sink);
    c.action_due("Add a dead-letter queue", &c.lead, 2).await;
    scan_and_deliver(&c, &mailing).await;
    scan_and_deliver(&c, &mailing).await;
    let nudges = sink.to("lead@acme.test");
    assert_eq!(nudges.len(), 1, "{nudges:#?}");
    let nudge = &nudges[0];
    assert!(
        nudge.subject.starts_with("Due ") && nudge.subject.ends_with(": Add a dead-letter queue"),
        "{}",
        nudge.subject
    );
    assert!(nudge.text.contains("An action you own is due on"), "{}", nudge.text);
    assert!(nudge.text.contains(&format!("{PUBLIC}reviews/{}", c.review)), "{}", nudge.text);
    assert!(sink.to("member@acme.test").is_empty(), "only the owner is nudged");
    assert_eq!(nudge.list_unsubscribe_post.as_deref(), Some("List-Unsubscribe=One-Click"));
    let unsubscribe = nudge.list_unsubscribe.clone().expect("List-Unsubscribe");
    let unsubscribe = url::Url::parse(unsubscribe.trim_start_matches('<').trim_end_matches('>')).unwrap();
    assert_eq!(unsubscribe.host_str(), Some("api.example"));

    // The one-click POST, as a mail client sends it, against the real server, signed in as nobody.
    let addr = c.app.serve().await;
    let local = format!("http://{addr}{}?{}", unsubscribe.path(), unsubscribe.query().unwrap());
    let client = reqwest::Client::new();
    let page = client.get(&local).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\">"));
    let me = c.run(&c.lead, ME, json!({})).await;
    assert_eq!(me.data()["me"]["notificationPreferences"]["nudges"], true, "showing the page changes nothing");
    let done = client.post(&local).body("List-Unsubscribe=One-Click").send().await.unwrap();
    assert_eq!(done.status(), 200);
    let me = c.run(&c.lead, ME, json!({})).await;
    assert_eq!(me.data()["me"]["notificationPreferences"], json!({ "nudges": false, "digest": false }));
    // An altered link does nothing.
    let forged = local.replace("nudges", "digest");
    assert_eq!(client.post(&forged).send().await.unwrap().status(), 400);

    // The action falls overdue: the owner, unsubscribed, hears nothing more.
    c.days_pass(3);
    scan_and_deliver(&c, &mailing).await;
    assert_eq!(sink.to("lead@acme.test").len(), 1);
}

#[tokio::test]
async fn review_deadlines_nudge_the_facilitator_and_the_team_leads() {
    let sink = Sink::start().await;
    let c = crew().await;
    let mailing = with_mail(&c.app.state, &sink);
    c.run(
        &c.admin,
        "mutation($r: ID!, $u: ID!) { assignFacilitator(reviewId: $r, userId: $u) { id } }",
        json!({ "r": c.review, "u": c.other.user_id }),
    )
    .await
    .data();
    // The SEV1's review is due within 48 hours of resolution: a day later it is due soon.
    c.app.state.clock.advance(TimeDelta::hours(30));
    scan_and_deliver(&c, &mailing).await;
    let to = |who: &str| sink.to(who).into_iter().filter(|m| m.subject.starts_with("Review due")).count();
    assert_eq!(to("other@acme.test"), 1, "the facilitator");
    assert_eq!(to("lead@acme.test"), 1, "the team's lead");
    assert_eq!(to("member@acme.test"), 0);
    assert_eq!(to("ada@acme.test"), 0);
}

#[tokio::test]
async fn notification_preferences_are_the_viewers_own() {
    let c = crew().await;
    let me = c.run(&c.member, ME, json!({})).await;
    assert_eq!(me.data()["me"]["notificationPreferences"], json!({ "nudges": true, "digest": false }));
    let update = "mutation($i: NotificationPreferencesInput!) { updateNotificationPreferences(input: $i) { notificationPreferences { nudges digest } } }";
    let changed = c.run(&c.member, update, json!({ "i": { "digest": true } })).await;
    assert_eq!(
        changed.data()["updateNotificationPreferences"]["notificationPreferences"],
        json!({ "nudges": true, "digest": true })
    );
    let changed = c.run(&c.member, update, json!({ "i": { "nudges": false } })).await;
    assert_eq!(
        changed.data()["updateNotificationPreferences"]["notificationPreferences"],
        json!({ "nudges": false, "digest": true })
    );
    // Nobody else sees them.
    let other = c
        .run(
            &c.admin,
            "query($u: ID!) { node(id: $u) { ... on User { notificationPreferences { nudges } } } }",
            json!({ "u": c.member.user_id }),
        )
        .await;
    assert_eq!(other.data()["node"]["notificationPreferences"], Value::Null);
    let token = c.app.api_token(&c.member, "WRITE").await;
    c.app.exec(Some(&token), update, json!({ "i": { "nudges": true } })).await.assert_error("FORBIDDEN", None);
}

/// Declares an incident of `team`, resolves it and publishes its review with `visibility`,
/// led by `facilitator`, with two actions of `owners`; `runner` (a lead of the team or an admin)
/// does the writing. Answers the review's ID.
async fn publish_review(
    app: &TestApp,
    (runner, declarer, facilitator): (&Session, &Session, &Session),
    team: &str,
    title: &str,
    visibility: &str,
    owners: [&Session; 2],
) -> String {
    let started = app.state.clock.now() - TimeDelta::hours(3);
    let declared = app
        .exec(
            Some(&declarer.token),
            "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
            json!({ "i": { "teamId": team, "title": title, "severity": "SEV2", "startedAt": started.to_rfc3339() } }),
        )
        .await;
    let incident = declared.data()["declareIncident"]["id"].clone();
    let resolved = app
        .exec(
            Some(&declarer.token),
            "mutation($i: ID!) { setIncidentStatus(id: $i, status: RESOLVED) { review { id } } }",
            json!({ "i": incident }),
        )
        .await;
    let review = resolved.data()["setIncidentStatus"]["review"]["id"].as_str().unwrap().to_owned();
    let steps = [
        (
            "mutation($r: ID!, $u: ID!) { assignFacilitator(reviewId: $r, userId: $u) { id } }",
            json!({ "r": review, "u": facilitator.user_id }),
        ),
        (
            "mutation($r: ID!, $v: Visibility!) { updateReview(id: $r, input: { summary: \"A cache stampede.\", learnings: [\"Warm caches before a deploy\"], visibility: $v }) { id } }",
            json!({ "r": review, "v": visibility }),
        ),
        (
            "mutation($r: ID!, $at: DateTime!) { addTimelineEntry(reviewId: $r, input: { occurredAt: $at, event: \"Latency alert\" }) { id } }",
            json!({ "r": review, "at": started.to_rfc3339() }),
        ),
        (
            "mutation($r: ID!) { setWhys(reviewId: $r, whys: [{ question: \"Why slow?\", answer: \"Every request missed the cache.\" }, { question: \"Why missed?\", answer: \"The deploy flushed it.\" }, { question: \"Why flushed?\", answer: \"The deploy has no warm-up step.\" }]) { id } }",
            json!({ "r": review }),
        ),
        (
            "mutation($r: ID!) { addContributingFactor(reviewId: $r, input: { category: TECHNICAL, description: \"No warm-up step\" }) { id } }",
            json!({ "r": review }),
        ),
        ("mutation($r: ID!) { submitReview(id: $r) { id } }", json!({ "r": review })),
    ];
    for (query, variables) in steps {
        app.exec(Some(&runner.token), query, variables).await.data();
    }
    let due = (app.state.clock.today() + TimeDelta::days(10)).to_string();
    let agree = "mutation($r: ID!) { agreeTimeline(reviewId: $r) { id } }";
    app.exec(Some(&facilitator.token), agree, json!({ "r": review })).await.data();
    for (owner, action) in owners.into_iter().zip(["Warm the cache on deploy", "Alert on cache hit rate"]) {
        let input = json!({ "reviewId": review, "title": format!("{action} ({title})"), "ownerId": owner.user_id, "teamId": team,
                            "dueDate": due, "successMetric": "Hit rate above 90% after deploys", "kind": "SYSTEMIC" });
        let created = app.exec(Some(&runner.token), crate::actions::CREATE, json!({ "i": input })).await;
        let accept = "mutation($a: ID!) { acceptAction(id: $a) { id } }";
        let id = created.data()["createAction"]["id"].clone();
        app.exec(Some(&owner.token), accept, json!({ "a": id })).await.data();
    }
    app.exec(Some(&runner.token), PUBLISH_QUERY, json!({ "r": review })).await.data();
    review
}

#[tokio::test]
async fn a_digest_lists_exactly_what_its_reader_may_read() {
    let sink = Sink::start().await;
    let c = crew().await;
    let app = &c.app;
    let mailing = with_mail(&app.state, &sink);
    let turn_on = "mutation { updateNotificationPreferences(input: { digest: true }) { id } }";
    for reader in [&c.member, &c.other] {
        c.run(reader, turn_on, json!({})).await.data();
    }
    // Turned on this week: the first digest is next Monday's.
    deliver(&mailing).await;
    assert!(sink.received().is_empty());

    // This week, Payments publishes one review to the organization (its incident touched a
    // service Platform owns) and one to the team only, and leaves a third in draft; another
    // organization publishes one to its own.
    let platform_team = c.platform.clone();
    let service = c
        .run(
            &c.admin,
            "mutation($t: ID!) { createService(input: { name: \"Refund queue\", ownerTeamId: $t }) { id } }",
            json!({ "t": platform_team }),
        )
        .await;
    let incident =
        c.run(&c.lead, "query($r: ID!) { review(id: $r) { incident { id } } }", json!({ "r": c.review })).await;
    c.run(
        &c.admin,
        "mutation($i: ID!, $s: [ID!]!) { setIncidentServices(incidentId: $i, serviceIds: $s) { id } }",
        json!({ "i": incident.data()["review"]["incident"]["id"], "s": [service.data()["createService"]["id"]] }),
    )
    .await
    .data();
    ready_but_for_actions(&c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    c.run(&c.lead, PUBLISH_QUERY, json!({ "r": c.review })).await.data();
    let payments = app
        .exec(Some(&c.member.token), "query($r: ID!) { review(id: $r) { team { id } } }", json!({ "r": c.review }))
        .await
        .data()["review"]["team"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    publish_review(app, (&c.lead, &c.member, &c.admin), &payments, "Ledger drift", "TEAM", [&c.member, &c.lead]).await;
    let draft = app
        .exec(
            Some(&c.member.token),
            "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
            json!({ "i": { "teamId": payments, "title": "Checkout draft", "severity": "SEV2", "startedAt": app.state.clock.now().to_rfc3339() } }),
        )
        .await;
    let draft = draft.data()["declareIncident"]["id"].clone();
    app.exec(
        Some(&c.member.token),
        "mutation($i: ID!) { setIncidentStatus(id: $i, status: RESOLVED) { id } }",
        json!({ "i": draft }),
    )
    .await
    .data();
    let globex = app.sign_up("Globex", "gil@globex.test").await;
    let hal = app.invite_and_join(&globex, "hal@globex.test", "MEMBER").await;
    let core = app.team(&globex, "Core").await;
    app.add_member(&globex, &core, &globex.user_id, "LEAD").await.data();
    app.add_member(&globex, &core, &hal.user_id, "MEMBER").await.data();
    publish_review(app, (&globex, &globex, &hal), &core, "Globex outage", "ORG", [&globex, &hal]).await;
    let update = "mutation { updateNotificationPreferences(input: { digest: true }) { id } }";
    app.exec(Some(&hal.token), update, json!({})).await.data();

    let today = app.state.clock.today();
    c.days_pass(7 - i64::from(today.weekday().num_days_from_monday()));
    deliver(&mailing).await;
    let digest_of = |who: &str| {
        let mut digests: Vec<_> =
            sink.to(who).into_iter().filter(|m| m.subject.contains("published last week")).collect();
        assert_eq!(digests.len(), 1, "one digest for {who}: {digests:#?}");
        digests.pop().unwrap()
    };
    let member = digest_of("member@acme.test");
    assert_eq!(member.subject, "2 reviews published last week");
    for shown in ["Refunds stuck", "Ledger drift", "Warm caches before a deploy", "Add a dead-letter queue", "Payments"]
    {
        assert!(member.text.contains(shown), "{shown} in {}", member.text);
    }
    let other = digest_of("other@acme.test");
    assert_eq!(other.subject, "1 review published last week");
    assert!(other.text.contains("Refunds stuck"), "{}", other.text);
    // Platform was told: its member reads why, in both bodies; Payments' own review is not news
    // to Payments.
    assert!(
        other
            .text
            .replace("\r\n", "\n")
            .contains("For your teams:\n* Refunds stuck, for Platform: it touched a service the team owns"),
        "{}",
        other.text
    );
    assert!(other.html.contains("For your teams"), "{}", other.html);
    assert!(!member.text.contains("For your teams"), "{}", member.text);
    assert!(!other.text.contains("Ledger drift"), "another team's team-only review: {}", other.text);
    assert!(!other.text.contains("Open actions"), "Platform has no open action: {}", other.text);
    for digest in [&member, &other] {
        assert!(!digest.text.contains("Checkout draft"), "a draft: {}", digest.text);
        assert!(!digest.text.contains("Globex"), "another organization: {}", digest.text);
        assert!(digest.list_unsubscribe.as_deref().is_some_and(|u| u.contains("digest")));
    }
    let hal = digest_of("hal@globex.test");
    assert!(hal.text.contains("Globex outage"), "{}", hal.text);
    assert!(!hal.text.contains("Refunds stuck") && !hal.text.contains("Ledger drift"), "{}", hal.text);
    // Once a week.
    deliver(&mailing).await;
    assert_eq!(sink.received().iter().filter(|m| m.subject.contains("published last week")).count(), 3);
}

#[tokio::test]
async fn an_smtp_outage_delays_mail_but_loses_none() {
    let sink = Sink::start().await;
    let app = mail_app(&sink).await;
    let admin = confirmed_sign_up(&app, &sink, "Acme", "ada@acme.test").await;
    sink.set_down(true);
    // The request does not wait for the mail server.
    for who in ["bo@acme.test", "cy@acme.test"] {
        app.invite(&admin, who, "MEMBER").await;
    }
    deliver(&app.state).await;
    assert!(sink.to("bo@acme.test").is_empty());
    use sea_orm::EntityTrait;
    let pending = entity::mail_message::Entity::find().all(&app.state.db).await.unwrap();
    let waiting: Vec<_> = pending.iter().filter(|m| m.kind == "INVITATION").collect();
    assert_eq!(waiting.len(), 2);
    for message in &waiting {
        assert_eq!(message.status, entity::DeliveryStatus::Pending);
        assert_eq!(message.attempts, 1);
        assert!(message.last_error.as_deref().is_some_and(|e| e.contains("421")), "{message:?}");
        assert!(!message.body.is_empty());
    }
    // Not due yet: nothing is tried before the schedule's first wait (30 s).
    sink.set_down(false);
    deliver(&app.state).await;
    assert!(sink.to("bo@acme.test").is_empty());
    app.state.clock.advance(TimeDelta::seconds(31));
    deliver(&app.state).await;
    assert_eq!(sink.to("bo@acme.test").len(), 1);
    assert_eq!(sink.to("cy@acme.test").len(), 1);
    let sent = entity::mail_message::Entity::find().all(&app.state.db).await.unwrap();
    for message in sent.iter().filter(|m| m.kind == "INVITATION") {
        assert_eq!(message.status, entity::DeliveryStatus::Succeeded);
        assert!(message.body.is_empty(), "a sent message keeps no body (its link)");
    }
}

#[tokio::test]
async fn two_servers_send_each_message_once() {
    let sink = Sink::start().await;
    let app = mail_app(&sink).await;
    let admin = confirmed_sign_up(&app, &sink, "Acme", "ada@acme.test").await;
    let before = sink.received().len();
    // A second server on the same database.
    let config = (*app.state.config).clone();
    let second = AppState::connect(config).await.unwrap();
    for n in 0..24 {
        app.invite(&admin, &format!("person{n}@acme.test"), "MEMBER").await;
    }
    let (a, b) = tokio::join!(outbox::send_due(&app.state), outbox::send_due(&second));
    let sent = a.unwrap() + b.unwrap();
    assert_eq!(sent, 24);
    let received = sink.received();
    assert_eq!(received.len() - before, 24);
    let mut recipients: Vec<_> = received.iter().skip(before).flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 24, "each once");
}
