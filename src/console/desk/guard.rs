//! Who may talk to the desk: the one browser page the coordinator opened. The launch token
//! (in the URL the desk printed or opened) is exchanged once for a session cookie and is
//! dead from then on; every request must name exactly the desk's own `Host` (a DNS-rebound
//! name is refused), carry that cookie, and a WebSocket or anything that changes state must
//! come from the desk's own `Origin` (another site's page is refused).
//!
//! It must never accept a launch token twice, compare a secret in variable time, or let a
//! request through on any `Host` but `127.0.0.1:PORT`.

use std::sync::Mutex;

use axum::http::{HeaderMap, Method, header};
use subtle::ConstantTimeEq;

use crate::crypto::keys::random_bytes;
use crate::protocol::b64;

/// Why a request was turned away (the response says no more than "refused").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `Host` is not `127.0.0.1:PORT`: DNS rebinding, or another name for the machine.
    Host,
    /// No session cookie, or not ours.
    Cookie,
    /// A WebSocket or state-changing request from another origin, or with none.
    Origin,
    /// A launch token that is wrong or already used.
    Token,
}

/// The desk's secrets for one run: the launch token until it is used, and the session.
pub struct Guard {
    port: u16,
    launch: Mutex<Option<String>>,
    session: String,
}

/// A fresh 256-bit secret, base64url.
fn secret() -> String {
    b64::encode(&random_bytes::<32>())
}

/// Constant-time equality of two secrets (their lengths are public).
fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Guard {
    /// New secrets for a desk listening on `127.0.0.1:port`.
    pub fn new(port: u16) -> Self {
        Self {
            port,
            launch: Mutex::new(Some(secret())),
            session: secret(),
        }
    }

    /// The address the browser opens first; `None` once the token was used.
    pub fn launch_url(&self) -> Option<String> {
        let launch = self.launch.lock().ok()?;
        launch
            .as_ref()
            .map(|token| format!("{}/launch?token={token}", self.origin()))
    }

    /// Kills the launch token if it was not used; whether it was still unused.
    pub fn expire_launch(&self) -> bool {
        self.launch
            .lock()
            .map(|mut launch| launch.take().is_some())
            .unwrap_or(false)
    }

    /// `http://127.0.0.1:PORT`: the only origin the desk answers.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The cookie's name carries the port: browsers share cookies between a host's ports,
    /// so two desks (or another local server) must not overwrite one another's.
    pub fn cookie_name(&self) -> String {
        format!("lifeline_desk_{}", self.port)
    }

    /// Trades the launch token for the session cookie's `Set-Cookie` value, once.
    pub fn exchange(&self, token: &str) -> Result<String, Refusal> {
        let mut launch = self.launch.lock().map_err(|_| Refusal::Token)?;
        match launch.as_deref() {
            Some(expected) if same(expected, token) => {
                *launch = None;
                Ok(format!(
                    "{}={}; Path=/; HttpOnly; SameSite=Strict",
                    self.cookie_name(),
                    self.session
                ))
            }
            _ => Err(Refusal::Token),
        }
    }

    /// Whether a request may be served: the exact `Host`; then (except for the launch
    /// itself) our cookie; and our `Origin` on a WebSocket or anything but a read.
    pub fn check(
        &self,
        method: &Method,
        headers: &HeaderMap,
        launching: bool,
    ) -> Result<(), Refusal> {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        if host != Some(format!("127.0.0.1:{}", self.port).as_str()) {
            return Err(Refusal::Host);
        }
        let upgrade = headers.contains_key(header::UPGRADE);
        let reads = matches!(*method, Method::GET | Method::HEAD) && !upgrade;
        if !reads {
            let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
            if origin != Some(self.origin().as_str()) {
                return Err(Refusal::Origin);
            }
        }
        if launching {
            return Ok(());
        }
        if self
            .cookie_of(headers)
            .is_some_and(|c| same(&c, &self.session))
        {
            Ok(())
        } else {
            Err(Refusal::Cookie)
        }
    }

    /// Our cookie's value among the request's cookies, if sent.
    fn cookie_of(&self, headers: &HeaderMap) -> Option<String> {
        let name = self.cookie_name();
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|h| h.to_str().ok())
            .flat_map(|h| h.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_launch_token_is_good_once() {
        let guard = Guard::new(4000);
        let url = guard.launch_url().unwrap();
        let token = url.split("token=").nth(1).unwrap().to_owned();
        assert_eq!(guard.exchange("wrong"), Err(Refusal::Token));
        let cookie = guard.exchange(&token).unwrap();
        assert!(cookie.starts_with("lifeline_desk_4000="));
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert_eq!(guard.exchange(&token), Err(Refusal::Token));
        assert_eq!(guard.launch_url(), None);
    }

    #[test]
    fn host_cookie_and_origin_are_all_required() {
        let guard = Guard::new(4000);
        let cookie = format!("other=1; lifeline_desk_4000={}", guard.session);
        let host = (header::HOST, "127.0.0.1:4000");
        let ok = headers(&[host.clone(), (header::COOKIE, &cookie)]);
        assert_eq!(guard.check(&Method::GET, &ok, false), Ok(()));
        let rebound = headers(&[
            (header::HOST, "evil.example:4000"),
            (header::COOKIE, &cookie),
        ]);
        assert_eq!(
            guard.check(&Method::GET, &rebound, false),
            Err(Refusal::Host)
        );
        let localhost = headers(&[(header::HOST, "localhost:4000"), (header::COOKIE, &cookie)]);
        assert_eq!(
            guard.check(&Method::GET, &localhost, false),
            Err(Refusal::Host)
        );
        assert_eq!(
            guard.check(&Method::GET, &headers(std::slice::from_ref(&host)), false),
            Err(Refusal::Cookie)
        );
        let post = headers(&[host.clone(), (header::COOKIE, &cookie)]);
        assert_eq!(
            guard.check(&Method::POST, &post, false),
            Err(Refusal::Origin)
        );
        let ws = headers(&[
            host.clone(),
            (header::COOKIE, &cookie),
            (header::UPGRADE, "websocket"),
            (header::ORIGIN, "http://127.0.0.1:4001"),
        ]);
        assert_eq!(guard.check(&Method::GET, &ws, false), Err(Refusal::Origin));
        let ours = headers(&[
            host,
            (header::COOKIE, &cookie),
            (header::UPGRADE, "websocket"),
            (header::ORIGIN, "http://127.0.0.1:4000"),
        ]);
        assert_eq!(guard.check(&Method::GET, &ours, false), Ok(()));
    }
}
