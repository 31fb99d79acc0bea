use super::DataArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Print a fresh API bearer token for LOGIN (the issue is recorded as an event).
    Token {
        login: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.what {
        What::Token { login, data } => {
            let store = super::open_store(&data).await?;
            let app = super::app(store.clone());
            let token = app.issue_token(&login).await;
            store.close().await;
            match token {
                Ok(t) => {
                    println!("{t}");
                    Ok(())
                }
                Err(glassroom_app::AppError::NotFound(_)) => {
                    anyhow::bail!("no account with login {login}")
                }
                Err(e) => Err(anyhow::anyhow!("{e}")),
            }
        }
    }
}
