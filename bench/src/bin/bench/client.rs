//! A small GraphQL client for setting up what the measurements need.

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub base: String,
}

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub user_id: String,
}

impl Client {
    pub fn new(base: &str) -> Self {
        Self { http: reqwest::Client::new(), base: base.to_owned() }
    }

    /// Runs a GraphQL operation and returns its `data`, failing on any error.
    pub async fn exec(&self, token: Option<&str>, query: &str, variables: Value) -> anyhow::Result<Value> {
        let body = self.raw(token, query, variables).await?;
        if let Some(errors) = body.get("errors") {
            bail!("GraphQL errors for `{}`: {errors}", short(query));
        }
        body.get("data").cloned().context("a GraphQL answer without data")
    }

    /// The whole JSON answer of a GraphQL operation.
    pub async fn raw(&self, token: Option<&str>, query: &str, variables: Value) -> anyhow::Result<Value> {
        self.raw_at("/graphql", token, query, variables).await
    }

    /// The whole JSON answer of a GraphQL operation posted to `path`.
    pub async fn raw_at(
        &self,
        path: &str,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&json!({
            "query": query,
            "variables": variables,
        }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Ok(request.send().await?.json().await?)
    }

    /// The JSON of a GET on the server.
    pub async fn get(&self, token: &str, path: &str) -> anyhow::Result<Value> {
        let response = self.http.get(format!("{}{path}", self.base)).bearer_auth(token).send().await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() {
            bail!("GET {path} answered {status}: {body}");
        }
        Ok(body)
    }

    pub async fn metrics(&self) -> anyhow::Result<String> {
        Ok(self.http.get(format!("{}/metrics", self.base)).send().await?.text().await?)
    }

    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<Session> {
        let data = self
            .exec(
                None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { id } } }",
                json!({ "e": email, "p": password }),
            )
            .await
            .with_context(|| format!("cannot sign in as {email}"))?;
        Ok(Session {
            token: str_at(&data, &["login", "accessToken"])?,
            user_id: str_at(&data, &["login", "user", "id"])?,
        })
    }
}

/// The string at a path of keys (or array indexes) in a JSON value.
pub fn str_at(value: &Value, path: &[&str]) -> anyhow::Result<String> {
    let mut at = value;
    for key in path {
        let next = match key.parse::<usize>() {
            Ok(index) if at.is_array() => at.get(index),
            _ => at.get(key),
        };
        at = next.with_context(|| format!("no `{key}` in {value}"))?;
    }
    at.as_str().map(str::to_owned).with_context(|| format!("`{}` is not a string in {value}", path.join(".")))
}

fn short(query: &str) -> String {
    query.chars().take(80).collect()
}
