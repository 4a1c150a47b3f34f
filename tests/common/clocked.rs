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
        Self::launch(config, data_dir, listen, clock).await
    }
}
