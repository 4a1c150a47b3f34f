//! Relays that read the time from a test's [`Clock`], on whatever keys and store the test's
//! config names (an organisation's production keys, a shared Redis): what a test living
//! days in seconds starts, stops and starts again, the clock going on across restarts.

use super::*;

impl TestRelay {
    /// Starts a relay on `data_dir`, listening on `listen` ("127.0.0.1:0" for a free port),
    /// reading the time from `clock`. `adjust` names the keys and the store: no Redis is
    /// started here, so several nodes can share one.
    pub async fn start_clocked(
        data_dir: PathBuf,
        listen: &str,
        clock: Clock,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = test_config(&data_dir);
        adjust(&mut config);
        let organisation = config.keys.organisation_public.clone();
        let (keys, _) =
            keyfile::load_relay_keys(&data_dir, &organisation, true, "127.0.0.1:0", &clock)
                .expect("relay keys");
        let store = lifeline::store::Store::open(&config).await.expect("store");
        let relay = Relay::with_clock(config, keys, store, clock).expect("relay");
        let listener = tokio::net::TcpListener::bind(listen).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(lifeline::relay::serve(relay.clone(), listener, async {
            let _ = rx.await;
        }));
        until_listening(&relay).await;
        Self {
            redis: None,
            addr,
            relay,
            data_dir,
            _dir: None,
            shutdown: Some(tx),
            task,
        }
    }
}
