//! One Redis connection type for a single server and for a Redis Cluster, so the store, the
//! tips and the node channels are written once for both.
//!
//! On a Cluster every command and every pipeline must touch one slot: keys that belong
//! together share a hash tag, and commands on global keys are sent on their own.

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

use crate::store::chat::StoreError;

#[derive(Clone)]
/// A connection any command can be sent on, to one server or a Cluster.
pub enum RedisConnection {
    /// One server, reconnecting with backoff (the connection manager).
    Single(ConnectionManager),
    /// A Redis Cluster: commands routed by key slot, reconnecting by itself.
    Cluster(ClusterConnection),
}

impl RedisConnection {
    /// Connects to `urls`: one server, or with `cluster` the seed nodes of a Cluster.
    pub async fn connect(urls: &[&str], cluster: bool) -> RedisResult<(Self, redis::Client)> {
        // Pub/sub needs a connection of its own; on a Cluster, a plain PUBLISH reaches the
        // subscribers of every node, so one seed node is enough to listen on.
        let first = urls.first().copied().unwrap_or_default();
        let subscriber = redis::Client::open(first)?;
        let connection = if cluster {
            let client = redis::cluster::ClusterClient::new(urls.to_vec())?;
            Self::Cluster(client.get_async_connection().await?)
        } else {
            // A refused password will not mend itself: say so at once rather than after the
            // manager's backoff (about 9.5 s of retries). A server not up yet, or still
            // loading, is left to those retries.
            if let Err(e) = subscriber.get_multiplexed_async_connection().await
                && refused_credentials(&e)
            {
                return Err(e);
            }
            Self::Single(ConnectionManager::new(subscriber.clone()).await?)
        };
        Ok((connection, subscriber))
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

/// Whether Redis answered and turned the credentials down (a wrong password or user, or a
/// password given to a server that has none), as opposed to not answering at all.
fn refused_credentials(e: &redis::RedisError) -> bool {
    e.kind() == redis::ErrorKind::AuthenticationFailed
        || (e.code() == Some("ERR") && e.detail().is_some_and(|d| d.contains("AUTH")))
}

pub(crate) fn unavailable(e: redis::RedisError) -> StoreError {
    if refused_credentials(&e) {
        return StoreError::CredentialsRefused;
    }
    // The kind only: a Redis error can quote the server address.
    StoreError::Unavailable(format!("{:?}", e.kind()))
}
