//! `examples/overdue-actions.sh` against a live server: a READ token, CSV out, every page.

use std::process::Command;

use crate::actions::crew;

fn on_path(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn the_overdue_script_prints_every_overdue_action_as_csv() {
    if !(on_path("curl") && on_path("jq") && on_path("bash")) {
        // CI installs both; a machine without them cannot run the example at all.
        eprintln!("skipped: examples/overdue-actions.sh needs bash, curl and jq on PATH");
        return;
    }
    let c = crew().await;
    let mut expected = Vec::new();
    // Eight days from now, these are 7, 3 and 5 days late.
    for (title, days) in [("Fix \"quoted\", titles", 7), ("Add a dead-letter queue", 3), ("Alert on retries", 5)] {
        let id = c.action_due(title, &c.member, 8 - days).await;
        expected.push((days, id, title));
    }
    c.action("Not late", &c.member).await;
    c.days_pass(8);
    expected.sort_by_key(|e| std::cmp::Reverse(e.0));
    let token = c.app.api_token(&c.member, "READ").await;
    let addr = c.app.serve().await;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/overdue-actions.sh");
    let output = tokio::process::Command::new("bash")
        .arg(script)
        .env("HINDSIGHT_URL", format!("http://{addr}/graphql"))
        .env("HINDSIGHT_TOKEN", &token)
        .env("HINDSIGHT_PAGE_SIZE", "2")
        .output()
        .await
        .expect("the script runs");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "id,title,owner_email,team,due_date,days_overdue");
    assert_eq!(lines.len(), 1 + expected.len(), "{stdout}");
    for (line, (days, id, title)) in lines[1..].iter().zip(&expected) {
        let due = c.app.state.clock.today() - chrono::TimeDelta::days(*days);
        let quoted_title = title.replace('"', "\"\"");
        assert_eq!(*line, format!("\"{id}\",\"{quoted_title}\",\"member@acme.test\",\"Payments\",\"{due}\",{days}"));
    }

    // A bad token fails loudly, with the error code on standard error.
    let refused = tokio::process::Command::new("bash")
        .arg(script)
        .env("HINDSIGHT_URL", format!("http://{addr}/graphql"))
        .env("HINDSIGHT_TOKEN", "hsk_wrong")
        .output()
        .await
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("UNAUTHENTICATED"));
}
