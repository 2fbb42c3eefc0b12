use hindsight_api::config::{Cli, Command};
use hindsight_api::{Application, db, graphql, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::from_env();
    telemetry::init(cli.config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => Application::build(cli.config).await?.run().await?,
        Command::Migrate { action } => db::run_migrate_command(&cli.config, action).await?,
        Command::Schema => print!("{}", graphql::sdl()),
    }
    Ok(())
}
