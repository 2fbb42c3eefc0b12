//! Test harness: a fresh database per test, the schema executed with a request context, and
//! an HTTP server on port 0 when a test needs the wire.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use async_graphql::{Request, Variables};
use hindsight_api::config::Config;
use hindsight_api::graphql::{self, AppSchema};
use hindsight_api::{AppState, Application, db};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";
pub const JWT_SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";

enum TestDb {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { server_url: String, name: String },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { server_url, name } = self {
            let (server_url, name) = (server_url.clone(), name.clone());
            // Dropping runs outside any runtime the test may still be tearing down.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                runtime.block_on(async {
                    if let Ok(admin) = Database::connect(&server_url).await {
                        let _ =
                            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                    }
                });
            })
            .join();
        }
    }
}

/// Replaces the database name of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

async fn fresh_database() -> (String, TestDb) {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(server_url) => {
            let name = format!("hindsight_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&server_url).await.expect("TEST_DATABASE_URL must reach PostgreSQL");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
            admin.close().await.ok();
            (with_database(&server_url, &name), TestDb::Postgres { server_url, name })
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            (url, TestDb::Sqlite(dir))
        }
    }
}

pub struct TestApp {
    pub state: AppState,
    pub schema: AppSchema,
    _db: TestDb,
}

/// A GraphQL answer as JSON.
#[derive(Debug)]
pub struct Answer(pub Value);

impl Answer {
    /// The data, failing the test when there is any error.
    #[track_caller]
    pub fn data(&self) -> &Value {
        assert!(self.errors().is_empty(), "unexpected errors: {:#}", self.0);
        &self.0["data"]
    }

    pub fn errors(&self) -> Vec<Value> {
        self.0["errors"].as_array().cloned().unwrap_or_default()
    }

    /// The code of the first error, failing the test when there is none.
    #[track_caller]
    pub fn code(&self) -> String {
        let errors = self.errors();
        assert!(!errors.is_empty(), "expected an error, got: {:#}", self.0);
        errors[0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("error without a code: {:#}", self.0))
            .to_owned()
    }

    /// `extensions.field` of the first error.
    #[track_caller]
    pub fn field(&self) -> Option<String> {
        self.errors().first().and_then(|e| e["extensions"]["field"].as_str().map(str::to_owned))
    }

    #[track_caller]
    pub fn message(&self) -> String {
        self.errors().first().and_then(|e| e["message"].as_str().map(str::to_owned)).expect("an error message")
    }

    /// Asserts the first error's code (and field when given).
    #[track_caller]
    pub fn assert_error(&self, code: &str, field: Option<&str>) {
        assert_eq!(self.code(), code, "answer: {:#}", self.0);
        if field.is_some() {
            assert_eq!(self.field().as_deref(), field, "answer: {:#}", self.0);
        }
    }
}

/// A signed-in user of a test.
/// The SQL statements an app ran.
#[derive(Clone, Default)]
pub struct Statements(Arc<Mutex<Vec<Statement>>>);

impl Statements {
    /// The statements recorded since the last call.
    pub fn take(&self) -> Vec<Statement> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub refresh_token: String,
    pub user_id: String,
}

pub fn test_config(database_url: String) -> Config {
    let mut config = Config::defaults();
    config.database_url = database_url;
    config.db_pool_size = 5;
    config.jwt_secret = Some(JWT_SECRET.into());
    config.encryption_key = Some("the tests' key for stored secrets, 32+ bytes".into());
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.allow_signup = true;
    config.graphiql = true;
    config.introspection = true;
    config.demo = false;
    config
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(change: impl FnOnce(&mut Config)) -> Self {
        let (url, db) = fresh_database().await;
        let mut config = test_config(url);
        change(&mut config);
        let state = AppState::connect(config).await.expect("connect and migrate the test database");
        let schema = graphql::build_schema(state.clone());
        TestApp { state, schema, _db: db }
    }

    /// An app whose every SQL statement is recorded, in the order the database received them.
    pub async fn recording(change: impl FnOnce(&mut Config)) -> (Self, Statements) {
        let (url, test_db) = fresh_database().await;
        let mut config = test_config(url);
        change(&mut config);
        let migrator = db::connect(&config.database_url, 1, None).await.expect("connect the test database");
        db::migrate(&migrator).await.expect("migrate the test database");
        migrator.close().await.ok();
        let mut connection = db::connect(&config.database_url, config.db_pool_size, Some(config.statement_timeout))
            .await
            .expect("connect the test database");
        let statements = Statements::default();
        let sink = statements.clone();
        connection.set_metric_callback(move |info| sink.0.lock().unwrap().push(info.statement.clone()));
        let state = AppState::new(connection, config).await.expect("start the app");
        let schema = graphql::build_schema(state.clone());
        (TestApp { state, schema, _db: test_db }, statements)
    }

    /// Undoes the migrations from `name` on and applies them all again, as an upgrade of a
    /// database from before `name` would: on a connection of its own, so that every change of
    /// the schema and its record go through one connection, one after another.
    pub async fn migrate_again_from(&self, name: &str) {
        use migration::{Migrator, MigratorTrait};
        let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        let from = names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no migration {name}"));
        let db = db::connect(&self.state.config.database_url, 1, None).await.expect("connect the test database");
        Migrator::down(&db, Some(u32::try_from(names.len() - from).unwrap())).await.expect("undo the migrations");
        Migrator::up(&db, None).await.expect("apply them again");
        db.close().await.ok();
    }

    /// Runs one operation as the holder of `token` (an access token or API token secret).
    pub async fn exec(&self, token: Option<&str>, query: &str, variables: Value) -> Answer {
        let header = token.map(|t| format!("Bearer {t}"));
        let auth = self.state.authenticate(header.as_deref()).await;
        let request = Request::new(query).variables(Variables::from_json(variables)).data(auth);
        let response = self.schema.execute(request).await;
        Answer(serde_json::to_value(&response).expect("responses serialize"))
    }

    /// Serves the API over HTTP on a free port.
    pub async fn serve(&self) -> SocketAddr {
        let app = Application::bind(self.state.clone()).await.expect("bind port 0");
        let addr = app.local_addr();
        tokio::spawn(app.run_until(std::future::pending()));
        addr
    }

    /// Signs up a new organization; returns its admin.
    pub async fn sign_up(&self, organization: &str, email: &str) -> Session {
        let answer = self
            .exec(
                None,
                "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id email } } }",
                json!({ "input": { "organizationName": organization, "email": email, "password": PASSWORD, "displayName": "Ada Admin" } }),
            )
            .await;
        session_from(&answer.data()["signUp"])
    }

    pub async fn login(&self, email: &str, password: &str) -> Answer {
        self.exec(
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken expiresAt user { id email } } }",
            json!({ "e": email, "p": password }),
        )
        .await
    }

    /// Invites `email` with `role` as `admin`, and accepts; returns the new user's session.
    pub async fn invite_and_join(&self, admin: &Session, email: &str, role: &str) -> Session {
        let token = self.invite(admin, email, role).await;
        let answer = self.accept(&token, PASSWORD, "Invited Person").await;
        session_from(&answer.data()["acceptInvitation"])
    }

    pub async fn invite(&self, admin: &Session, email: &str, role: &str) -> String {
        let answer = self
            .exec(
                Some(&admin.token),
                "mutation($input: InviteUserInput!) { inviteUser(input: $input) { token invitation { id email role } } }",
                json!({ "input": { "email": email, "role": role } }),
            )
            .await;
        answer.data()["inviteUser"]["token"].as_str().unwrap().to_owned()
    }

    pub async fn accept(&self, token: &str, password: &str, name: &str) -> Answer {
        self.exec(
            None,
            "mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { accessToken refreshToken user { id email role } } }",
            json!({ "input": { "token": token, "password": password, "displayName": name } }),
        )
        .await
    }

    pub async fn create_team(&self, session: &Session, name: &str, slug: Option<&str>) -> Answer {
        self.exec(
            Some(&session.token),
            "mutation($input: CreateTeamInput!) { createTeam(input: $input) { id name slug description } }",
            json!({ "input": { "name": name, "slug": slug } }),
        )
        .await
    }

    /// Creates a team and returns its ID.
    pub async fn team(&self, admin: &Session, name: &str) -> String {
        self.create_team(admin, name, None).await.data()["createTeam"]["id"].as_str().unwrap().to_owned()
    }

    pub async fn add_member(&self, session: &Session, team_id: &str, user_id: &str, role: &str) -> Answer {
        self.exec(
            Some(&session.token),
            "mutation($t: ID!, $u: ID!, $r: TeamRole!) { addTeamMember(teamId: $t, userId: $u, role: $r) { id role user { id } team { id } } }",
            json!({ "t": team_id, "u": user_id, "r": role }),
        )
        .await
    }

    pub async fn api_token(&self, session: &Session, scope: &str) -> String {
        let answer = self
            .exec(
                Some(&session.token),
                "mutation($s: TokenScope!) { createApiToken(name: \"script\", scope: $s, currentPassword: \"correct horse battery\") { secret apiToken { id } } }",
                json!({ "s": scope }),
            )
            .await;
        answer.data()["createApiToken"]["secret"].as_str().unwrap().to_owned()
    }

    pub async fn me(&self, token: &str) -> Answer {
        self.exec(Some(token), "{ me { id email role active } }", json!({})).await
    }

    /// Kinds of the events recorded for the organization, oldest first.
    pub async fn event_kinds(&self) -> Vec<String> {
        use sea_orm::{EntityTrait, QueryOrder};
        entity::event::Entity::find()
            .order_by_asc(entity::event::Column::Id)
            .all(&self.state.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| sea_orm::ActiveEnum::to_value(&e.kind))
            .collect()
    }
}

pub fn session_from(payload: &Value) -> Session {
    Session {
        token: payload["accessToken"].as_str().expect("accessToken").to_owned(),
        refresh_token: payload["refreshToken"].as_str().expect("refreshToken").to_owned(),
        user_id: payload["user"]["id"].as_str().expect("user.id").to_owned(),
    }
}

/// A graphql-transport-ws client for subscription tests.
pub struct Socket {
    inner: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    /// Messages of other operations, read while waiting for one.
    pending: Vec<Value>,
}

/// How long a test waits for something that should arrive.
pub const ARRIVES_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

impl Socket {
    /// Connects to a served app and signs in with `token` in `connection_init`.
    pub async fn connect(addr: SocketAddr, token: &str) -> Self {
        let (socket, ack) = Self::open(addr, Some(token)).await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        socket
    }

    /// The server's answer to `connection_init` (null when it closed the socket instead).
    pub async fn try_connect(addr: SocketAddr, token: Option<&str>) -> Value {
        Self::open(addr, token).await.1
    }

    async fn open(addr: SocketAddr, token: Option<&str>) -> (Self, Value) {
        use futures_util::SinkExt;
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}/graphql/ws").into_client_request().unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
        let (inner, _) = tokio_tungstenite::connect_async(request).await.expect("websocket upgrade");
        let mut socket = Socket { inner, pending: Vec::new() };
        let payload = token.map_or(json!({}), |t| json!({ "authorization": format!("Bearer {t}") }));
        socket.inner.send(json!({ "type": "connection_init", "payload": payload }).to_string().into()).await.unwrap();
        let answer = socket.message().await.unwrap_or(Value::Null);
        (socket, answer)
    }

    /// Sends a text message as it is.
    pub async fn send_raw(&mut self, text: String) {
        use futures_util::SinkExt;
        self.inner.send(text.into()).await.unwrap();
    }

    /// Starts operation `id`.
    /// Connects as [`Socket::connect`] does and starts one subscription.
    pub async fn subscribed(addr: SocketAddr, token: &str, id: &str, query: &str, variables: Value) -> Self {
        let mut socket = Self::connect(addr, token).await;
        socket.subscribe(id, query, variables).await;
        socket
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        use futures_util::SinkExt;
        let message = json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } });
        self.inner.send(message.to_string().into()).await.unwrap();
    }

    /// The next text message, or `None` when the socket closed.
    async fn message(&mut self) -> Option<Value> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            let next = tokio::time::timeout(ARRIVES_WITHIN, self.inner.next()).await.expect("a message in time");
            match next? {
                Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The next payload of operation `id` (`{ data, errors }`), skipping pings.
    pub async fn next(&mut self, id: &str) -> Value {
        let message = match self.pending.iter().position(|m| m["id"] == id) {
            Some(at) => self.pending.remove(at),
            None => loop {
                let message = self.message().await.expect("the socket to stay open");
                if message["id"] == id {
                    break message;
                }
                if message["id"].is_string() {
                    self.pending.push(message);
                }
            },
        };
        assert_ne!(message["type"], "complete", "operation {id} completed early");
        message["payload"].clone()
    }

    /// Asserts that nothing arrives for `wait`.
    pub async fn silent_for(&mut self, wait: std::time::Duration) {
        use futures_util::StreamExt;
        assert!(self.pending.is_empty(), "expected silence, got {:?}", self.pending);
        if let Ok(message) = tokio::time::timeout(wait, self.inner.next()).await {
            panic!("expected silence, got {message:?}");
        }
    }

    /// Waits for the server to close the socket; returns the close code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            let next = tokio::time::timeout(ARRIVES_WITHIN, self.inner.next()).await.expect("a close in time");
            match next {
                Some(Ok(Message::Close(Some(frame)))) => return (frame.code.into(), frame.reason.to_string()),
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => panic!("closed without a close frame"),
                Some(Ok(_)) => {}
            }
        }
    }
}

/// An organization for a test, declared then built: its teams with their people and roles, and
/// people in no team. Everyone is invited in the order declared; a team's first lead is added
/// by the admin and adds the team's other members.
///
/// `Org::new().team("Payments", &[("lead@acme.test", "LEAD"), ("member@acme.test", "MEMBER")]).build().await`
#[derive(Default)]
pub struct Org {
    teams: Vec<(&'static str, Vec<(&'static str, &'static str)>)>,
    loose: Vec<&'static str>,
    configure: Option<fn(&mut Config)>,
}

/// A built organization: Acme, signed up by its admin `ada@acme.test`.
pub struct Cast {
    pub app: TestApp,
    pub admin: Session,
    people: std::collections::HashMap<&'static str, Session>,
    teams: std::collections::HashMap<&'static str, String>,
}

impl Org {
    pub fn new() -> Self {
        Self::default()
    }

    /// A team and its people, each with a team role (`LEAD`, `MEMBER` or `VIEWER`).
    pub fn team(mut self, name: &'static str, people: &[(&'static str, &'static str)]) -> Self {
        self.teams.push((name, people.to_vec()));
        self
    }

    /// Someone of the organization in no team.
    pub fn person(mut self, email: &'static str) -> Self {
        self.loose.push(email);
        self
    }

    /// Serves it with a configuration changed from the tests' one.
    pub fn configured(mut self, change: fn(&mut Config)) -> Self {
        self.configure = Some(change);
        self
    }

    pub async fn build(self) -> Cast {
        let app = TestApp::with_config(self.configure.unwrap_or(|_| {})).await;
        let admin = app.sign_up("Acme", "ada@acme.test").await;
        let mut teams = std::collections::HashMap::new();
        for (name, _) in &self.teams {
            teams.insert(*name, app.team(&admin, name).await);
        }
        let mut people = std::collections::HashMap::new();
        let emails = self.teams.iter().flat_map(|(_, people)| people.iter().map(|(email, _)| *email));
        for email in emails.chain(self.loose.iter().copied()) {
            people.insert(email, app.invite_and_join(&admin, email, "MEMBER").await);
        }
        for (name, members) in &self.teams {
            let team = &teams[name];
            let lead = members.iter().find(|(_, role)| *role == "LEAD").map(|(email, _)| &people[email]);
            if let Some(lead) = lead {
                app.add_member(&admin, team, &lead.user_id, "LEAD").await.data();
            }
            for (email, role) in members {
                let person: &Session = &people[email];
                if lead.is_some_and(|lead| lead.user_id == person.user_id) {
                    continue;
                }
                app.add_member(lead.unwrap_or(&admin), team, &person.user_id, role).await.data();
            }
        }
        Cast { app, admin, people, teams }
    }
}

impl Cast {
    /// Someone declared in the organization.
    pub fn person(&self, email: &str) -> Session {
        self.people[email].clone()
    }

    /// A team's ID.
    pub fn team(&self, name: &str) -> String {
        self.teams[name].clone()
    }
}

/// Sends an HTTP request and reads its JSON answer.
pub async fn answer_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.expect("request").json().await.expect("JSON answer")
}
