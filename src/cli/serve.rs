//! `cuishou serve`: wires flags, environment, logging and signals to `cuishou::server`.

use cuishou::server::{Limits, State};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on (loopback by default; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    lexicons: super::LexiconArgs,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// Most messages in one batch request.
    #[arg(long, default_value_t = 10_000)]
    max_batch_items: usize,
    /// Largest single message in bytes.
    #[arg(long, default_value_t = cuishou::input::DEFAULT_MAX_BYTES)]
    max_message_bytes: usize,
    /// Seconds one request may take, body upload included.
    #[arg(long, default_value_t = 30)]
    request_timeout: u64,
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    #[arg(long, default_value_t = 30)]
    drain_timeout: u64,
    /// Log message text (personal data: off unless asked for).
    #[arg(long)]
    log_text: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    // RUST_LOG overrides; logs go to stderr, the listening address to stdout.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).try_init();

    let source = a.lexicons.source();
    let classifier = match source.build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cuishou: {e}");
            return Ok(super::EXIT_ERROR);
        }
    };
    let limits = Limits {
        max_body_bytes: a.max_body_bytes,
        max_batch_items: a.max_batch_items,
        max_message_bytes: a.max_message_bytes,
        request_timeout: Duration::from_secs(a.request_timeout),
    };
    let token = std::env::var("CUISHOU_ADMIN_TOKEN").ok();
    let admin = token.as_deref().is_some_and(|t| !t.is_empty());
    let state =
        Arc::new(State::new(classifier, limits).with_source(source).with_admin_token(token).with_log_text(a.log_text));

    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = a.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = rt.enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", a.addr))?;
        let local = listener.local_addr()?;
        // Signal handlers go in before anyone can learn the address, so an early SIGTERM or
        // SIGHUP is handled rather than killing the process with the default action.
        let signals = Signals::install()?;
        // Tests and scripts read this line to learn the port.
        println!("listening on http://{local}");
        std::io::stdout().flush()?;
        tracing::info!(%local, admin_reload = admin, lexicon_version = state.classifier().lexicon_version(), "serving");
        let shutdown = signals.run(state.clone());
        cuishou::server::serve(listener, state, shutdown, Duration::from_secs(a.drain_timeout)).await?;
        tracing::info!("stopped");
        Ok::<_, anyhow::Error>(0)
    })
}

/// The signals the server acts on, registered up front.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
                hup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Reloads the lexicons on every SIGHUP (a failed reload is logged and the old lexicons
    /// stay); the returned future completes on the first SIGTERM or SIGINT.
    fn run(self, state: Arc<State>) -> impl std::future::Future<Output = ()> + Send + 'static {
        #[cfg(unix)]
        {
            let Signals { mut term, mut int, mut hup } = self;
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    tracing::info!("SIGHUP received: reloading lexicons");
                    let _ = state.reload().await;
                }
            });
            async move {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = int.recv() => tracing::info!("SIGINT received"),
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = (self, state);
            async {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}
