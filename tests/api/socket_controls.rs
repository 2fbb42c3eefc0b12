//! Every control of the HTTP path holds on the WebSocket too: the client's address reaches the
//! brute-force limits, messages are no larger than request bodies, a connection holds a bounded
//! number of subscriptions, and a refused `connection_init` closes with 4401.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::harness::{ARRIVES_WITHIN, PASSWORD, Socket, TestApp};

type Raw = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw connection speaking `protocol`, its `connection_init` sent.
async fn raw(addr: SocketAddr, protocol: &str, authorization: Option<&str>) -> Raw {
    let mut request = format!("ws://{addr}/graphql/ws").into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket upgrade");
    let payload = authorization.map_or(json!({}), |a| json!({ "authorization": a }));
    let init = json!({ "type": "connection_init", "payload": payload }).to_string();
    socket.send(Message::Text(init.into())).await.unwrap();
    socket
}

/// The close frame the server ends with, skipping any messages before it.
async fn close_code(socket: &mut Raw) -> (u16, String) {
    loop {
        match tokio::time::timeout(ARRIVES_WITHIN, socket.next()).await.expect("a close in time") {
            Some(Ok(Message::Close(Some(frame)))) => return (frame.code.into(), frame.reason.to_string()),
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => panic!("closed without a close frame"),
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn a_bad_or_missing_token_at_connection_init_closes_with_4401() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        for authorization in [Some("Bearer not-a-token"), None] {
            let mut socket = raw(addr, protocol, authorization).await;
            let (code, reason) = close_code(&mut socket).await;
            assert_eq!(code, 4401, "{protocol} {authorization:?}: {reason}");
        }
    }
}

#[tokio::test]
async fn the_client_address_of_a_socket_counts_towards_the_brute_force_limit() {
    let app = TestApp::with_config(|config| config.auth_failure_address_limit = 3).await;
    let ada = app.sign_up("Acme", "ada@acme.test").await;
    app.sign_up("Globex", "hank@globex.test").await;
    let addr = app.serve().await;
    let client = reqwest::Client::new();
    for n in 0..3 {
        let query = format!(
            "mutation {{ login(email: \"user{n}@acme.test\", password: \"guess-{n}-guess\") {{ accessToken }} }}"
        );
        client.post(format!("http://{addr}/graphql")).json(&json!({ "query": query })).send().await.unwrap();
    }
    // A signed-in socket on the same address cannot carry on guessing.
    let mut socket = Socket::connect(addr, &ada.token).await;
    let login =
        format!("mutation {{ login(email: \"hank@globex.test\", password: \"{PASSWORD}\") {{ accessToken }} }}");
    socket.subscribe("guess", &login, json!({})).await;
    let answer = socket.next("guess").await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{answer}");
}

#[tokio::test]
async fn a_message_larger_than_a_request_body_closes_the_socket_with_1009() {
    let app = TestApp::with_config(|config| config.max_body_bytes = 64 * 1024).await;
    let ada = app.sign_up("Acme", "ada@acme.test").await;
    let addr = app.serve().await;
    let mut socket = Socket::connect(addr, &ada.token).await;
    let text = "blame ".repeat(20_000);
    let message = json!({ "id": "big", "type": "subscribe", "payload": { "query": "query($t: String!) { blamelessCheck(text: $t) { start } }", "variables": { "t": text } } });
    socket.send_raw(message.to_string()).await;
    let (code, reason) = socket.closed().await;
    assert_eq!(code, 1009, "{reason}");
}

const EVENTS: &str = "subscription { events { id kind } }";

#[tokio::test]
async fn a_connection_holds_a_bounded_number_of_subscriptions() {
    let app = TestApp::with_config(|config| config.max_subscriptions_per_connection = 3).await;
    let ada = app.sign_up("Acme", "ada@acme.test").await;
    let addr = app.serve().await;
    let mut socket = Socket::connect(addr, &ada.token).await;
    for id in ["1", "2", "3"] {
        socket.subscribe(id, EVENTS, json!({})).await;
    }
    // Operations on one connection start in no particular order: let the three settle first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    socket.subscribe("4", EVENTS, json!({})).await;
    let refused: Value = socket.next("4").await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("at most 3"), "{refused}");
    // The three still deliver; completing one frees its place.
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.create_team(&ada, "Payments", None).await.data();
    for id in ["1", "2", "3"] {
        assert_eq!(socket.next(id).await["data"]["events"]["kind"], "TEAM_CREATED");
    }
    socket.send_raw(json!({ "id": "1", "type": "complete" }).to_string()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    socket.subscribe("5", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.create_team(&ada, "Platform", None).await.data();
    assert_eq!(socket.next("5").await["data"]["events"]["kind"], "TEAM_CREATED");
}

#[tokio::test]
async fn a_socket_operation_runs_one_credential_check() {
    let app = TestApp::new().await;
    let ada = app.sign_up("Acme", "ada@acme.test").await;
    let addr = app.serve().await;
    let mut socket = Socket::connect(addr, &ada.token).await;
    let twice = format!(
        "mutation {{ a: login(email: \"ada@acme.test\", password: \"{PASSWORD}\") {{ accessToken }} b: login(email: \"ada@acme.test\", password: \"guess-guess\") {{ accessToken }} }}"
    );
    socket.subscribe("twice", &twice, json!({})).await;
    let answer = socket.next("twice").await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{answer}");
}

#[tokio::test]
async fn a_subscription_selects_one_field_and_queries_take_no_place() {
    let app = TestApp::with_config(|config| config.max_subscriptions_per_connection = 1).await;
    let ada = app.sign_up("Acme", "ada@acme.test").await;
    let addr = app.serve().await;
    let mut socket =
        Socket::subscribed(addr, &ada.token, "many", "subscription { a: events { id } b: events { id } }", json!({}))
            .await;
    let refused = socket.next("many").await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    // Queries come and go without holding the connection's one subscription place.
    for n in 0..3 {
        let id = format!("q{n}");
        socket.subscribe(&id, "{ me { id } }", json!({})).await;
        assert_eq!(socket.next(&id).await["data"]["me"]["id"], json!(ada.user_id));
    }
    socket.subscribe("log", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.create_team(&ada, "Payments", None).await.data();
    assert_eq!(socket.next("log").await["data"]["events"]["kind"], "TEAM_CREATED");
}
