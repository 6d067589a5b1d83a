//! `portico token create`: an API token for a catalog user, made by the operator on the
//! portal's machine (for CI set-up, or before anyone can sign in). It is the same kind of
//! token a person makes on their profile page, and shows there. It is recorded in the
//! audit log like one made there, as done from the command line (client `command line`).

use crate::config::Config;
use crate::identity::audit::{self, Auditor, Client};
use crate::identity::people;
use app::error::AppError;
use identity::{Action, Caller, Outcome, Person, TokenRequest};
use store::Store;

/// What `portico token create` is asked for.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The catalog user the token acts as (`user:default/ada.lovelace`, or just the name).
    #[arg(long)]
    pub user: String,
    /// What the token is for (shown on the user's profile page).
    #[arg(long)]
    pub name: String,
    /// A scope the token has: `read`, `catalog.write` or `insights.events`; repeat for
    /// several.
    #[arg(long = "scope", required = true)]
    pub scopes: Vec<String>,
    /// Days until the token expires.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
}

/// Makes the token and prints it alone on stdout (for `TOKEN=$(portico token create …)`);
/// returns `false` with the reason on stderr when it cannot be made.
pub async fn create(config: &Config, args: &CreateArgs) -> Result<bool, crate::serve::ServeError> {
    let request = match TokenRequest::new(&args.name, &args.scopes, args.days) {
        Ok(request) => request,
        Err(message) => {
            eprintln!("{message}");
            return Ok(false);
        }
    };
    let user = catalog::EntityRef::parse(&args.user, Some("user"), catalog::DEFAULT_NAMESPACE)
        .map(|r| r.to_string().to_lowercase())
        .unwrap_or_else(|_| args.user.to_lowercase());
    let store = crate::serve::open_store(config).await?;
    let subject = format!("cli:{user}");
    let Some(person) = people::from_user(&store, &user, subject).await? else {
        eprintln!(
            "The catalog has no user {user}; name a User entity (e.g. --user user:default/ada), \
             or register the file that defines it first."
        );
        return Ok(false);
    };
    let made = app::identity::create_token(&store, &person, &request, chrono::Utc::now()).await;
    record(&store, &person, &request, &made).await;
    match made {
        Ok(new) => {
            println!("{}", new.token);
            eprintln!(
                "Token \"{}\" for {user}, scopes {}, expires {}. It is shown only now.",
                new.row.name,
                new.row.scopes.join(", "),
                new.row.expires_at.format("%Y-%m-%d")
            );
            Ok(true)
        }
        Err(AppError::BadInput(message)) => {
            eprintln!("{message}");
            Ok(false)
        }
        Err(error) => {
            eprintln!("The token could not be made: {error}");
            Ok(false)
        }
    }
}

/// Records the token's making (or the reason it was not made) in the audit log, as the
/// profile page does, with the command line as the client.
async fn record(
    store: &Store,
    person: &Person,
    request: &TokenRequest,
    made: &Result<app::identity::NewToken, AppError>,
) {
    let (target, outcome, detail) = match made {
        Ok(new) => (
            format!("API token \"{}\" ({})", new.row.name, new.row.prefix),
            Outcome::Succeeded,
            String::new(),
        ),
        Err(error) => (
            format!("API token \"{}\"", request.name),
            Outcome::Failed,
            error.message().to_string(),
        ),
    };
    let client = Client {
        ip: "local".into(),
        user_agent: "portico token create (command line)".into(),
    };
    let caller = Caller::Person(person.clone());
    let entry = audit::entry(
        &client,
        &caller,
        Action::TokenCreate,
        &target,
        outcome,
        &detail,
    );
    let auditor = Auditor {
        store: store.clone(),
        client_header: None,
    };
    auditor.record(entry).await;
}
