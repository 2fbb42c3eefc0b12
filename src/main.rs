use anyhow::Context as _;
use hindsight_api::config::{Cli, Command};
use hindsight_api::{AppState, Application, db, graphql, telemetry};
use hindsight_seed as seed;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::from_env();
    telemetry::init(cli.config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let state = AppState::connect(cli.config).await?;
            if state.config.demo {
                seed::demo::seed(&state).await.context("cannot seed demo data")?;
            }
            Application::bind(state).await?.run().await?
        }
        Command::Migrate { action } => db::run_migrate_command(&cli.config, action).await?,
        Command::Schema => print!("{}", graphql::sdl()),
        Command::Seed { orgs, teams, users, incidents, actions, password } => {
            let plan = seed::Plan { orgs, teams, users, incidents, actions, password };
            seed::run_command(&cli.config, plan).await?
        }
    }
    Ok(())
}
