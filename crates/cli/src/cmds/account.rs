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
    /// Set LOGIN's password for the web sign-in (at least 10 characters), read from the
    /// GLASSROOM_PASSWORD variable or the first line of standard input.
    Password {
        login: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.what {
        What::Password { login, data } => {
            let password = match std::env::var("GLASSROOM_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let store = super::open_store(&data).await?;
            let app = super::app(store.clone());
            let done = app.set_password(&login, &password).await;
            store.close().await;
            match done {
                Ok(()) => {
                    println!("password set for {login}");
                    Ok(())
                }
                Err(glassroom_app::AppError::NotFound(_)) => {
                    anyhow::bail!("no account with login {login}")
                }
                Err(glassroom_app::AppError::Invalid(e)) => {
                    anyhow::bail!(
                        "{}",
                        e.iter()
                            .map(|f| f.detail.clone())
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                }
                Err(e) => Err(anyhow::anyhow!("{e}")),
            }
        }
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
