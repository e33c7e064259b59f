//! The client's address, as far as it can be trusted.
//!
//! Without trusted proxies (the default) the client is the peer of the TCP connection: any
//! `X-Forwarded-For` is the client's own claim and is ignored. When the peer is one of
//! `trusted_proxies`, `X-Forwarded-For` is read from the right (each proxy appends the address
//! it received the request from) and the first address that is not itself a trusted proxy is
//! the client. Anything to its left was written by the client and could be anything.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use agora_core::ApiError;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::AppState;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address: an extractor for handlers and layers.
///
/// Needs the connection's address, which `agora serve` provides
/// (`into_make_service_with_connect_info::<SocketAddr>`); a router served without it answers
/// 500 and logs why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(IpAddr);

impl ClientIp {
    /// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are taken as the IPv4 address they carry.
    pub fn new(ip: IpAddr) -> Self {
        Self(ip.to_canonical())
    }

    pub fn ip(&self) -> IpAddr {
        self.0
    }

    /// What rate limits count by: the IPv4 address, or the /64 network of an IPv6 address
    /// (one subscriber usually holds a whole /64 and can use any address in it).
    pub fn limit_key(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", Ipv6Addr::from(network))
            }
        }
    }

    /// The client's network, for budgets that must not be shared with the rest of the world
    /// (a login budget per account and network): the IPv4 /24, or the IPv6 /64.
    pub fn network_key(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => {
                let network = u32::from(v4) & 0xffff_ff00;
                format!("{}/24", std::net::Ipv4Addr::from(network))
            }
            IpAddr::V6(_) => self.limit_key(),
        }
    }

    /// The client of a request that came from `peer` with these headers.
    pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> ClientIp {
        let peer = peer.to_canonical();
        let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
        if !trusted(&peer) {
            return ClientIp(peer);
        }
        // Every X-Forwarded-For line, left to right, as one list.
        let hops: Vec<&str> = headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) if trusted(&ip) => client = ip,
                Some(ip) => return ClientIp(ip),
                // Garbage where an address should be: nothing left of it can be believed, and
                // the last trusted hop is the best we know.
                None => break,
            }
        }
        ClientIp(client)
    }
}

impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`), as some proxies write it.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    hop.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(client) = parts.extensions.get::<ClientIp>() {
            return Ok(*client);
        }
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Err(ApiError::internal(
                "ClientIp needs the connection's address: serve the router with \
                 into_make_service_with_connect_info::<SocketAddr>()",
            ));
        };
        let state = AppState::from_ref(state);
        let client = ClientIp::resolve(
            peer.ip(),
            &parts.headers,
            &state.config().server.trusted_proxies,
        );
        // Later extractors of the same request (a handler after the rate-limit layer) reuse it.
        parts.extensions.insert(client);
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("a valid address")
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter()
            .map(|n| n.parse().expect("a valid network"))
            .collect()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                X_FORWARDED_FOR,
                HeaderValue::from_str(value).expect("ascii"),
            );
        }
        headers
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_network() {
        let a = ClientIp::new(ip("2001:db8:1:2:aaaa::1"));
        let b = ClientIp::new(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let c = ClientIp::new(ip("2001:db8:1:3::1"));
        assert_eq!(a.limit_key(), "2001:db8:1:2::/64");
        assert_eq!(a.limit_key(), b.limit_key());
        assert_ne!(a.limit_key(), c.limit_key());
        assert_eq!(
            a.ip(),
            ip("2001:db8:1:2:aaaa::1"),
            "the address itself is kept"
        );
    }

    #[test]
    fn ipv4_mapped_ipv6_addresses_are_ipv4() {
        let mapped = ClientIp::new(ip("::ffff:192.0.2.7"));
        assert_eq!(mapped.ip(), ip("192.0.2.7"));
        assert_eq!(mapped.limit_key(), "192.0.2.7");
        let plain = ClientIp::new(ip("192.0.2.7"));
        assert_eq!(plain.limit_key(), "192.0.2.7");
    }

    #[test]
    fn without_trusted_proxies_forwarded_for_is_ignored() {
        let headers = forwarded(&["203.0.113.9"]);
        let client = ClientIp::resolve(ip("198.51.100.1"), &headers, &[]);
        assert_eq!(client.ip(), ip("198.51.100.1"));
        // Nor from a peer that is not one of the trusted proxies.
        let client = ClientIp::resolve(ip("198.51.100.1"), &headers, &nets(&["10.0.0.0/8"]));
        assert_eq!(client.ip(), ip("198.51.100.1"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The client forged the first entry; our proxy appended the address it saw.
        let headers = forwarded(&["1.2.3.4, 203.0.113.9"]);
        let client = ClientIp::resolve(ip("10.0.0.2"), &headers, &trusted);
        assert_eq!(client.ip(), ip("203.0.113.9"));

        // Two trusted hops (a load balancer, then an ingress), over two header lines.
        let headers = forwarded(&["1.2.3.4, 203.0.113.9", "10.1.1.1"]);
        let client = ClientIp::resolve(ip("10.0.0.2"), &headers, &trusted);
        assert_eq!(client.ip(), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_entries_may_carry_ports_and_mapped_addresses() {
        let trusted = nets(&["10.0.0.0/8", "::1/128"]);
        for (entry, expected) in [
            ("203.0.113.9:4711", "203.0.113.9"),
            ("[2001:db8::5]:4711", "2001:db8::5"),
            ("[2001:db8::5]", "2001:db8::5"),
            ("::ffff:203.0.113.9", "203.0.113.9"),
        ] {
            let client = ClientIp::resolve(ip("::1"), &forwarded(&[entry]), &trusted);
            assert_eq!(client.ip(), ip(expected), "{entry}");
        }
    }

    #[test]
    fn garbage_or_no_header_leaves_the_last_trusted_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        let client = ClientIp::resolve(ip("10.0.0.2"), &HeaderMap::new(), &trusted);
        assert_eq!(client.ip(), ip("10.0.0.2"));
        let headers = forwarded(&["203.0.113.9, unknown, 10.1.1.1"]);
        let client = ClientIp::resolve(ip("10.0.0.2"), &headers, &trusted);
        assert_eq!(client.ip(), ip("10.1.1.1"));
        // A mapped peer address is matched against IPv4 ranges.
        let headers = forwarded(&["203.0.113.9"]);
        let client = ClientIp::resolve(ip("::ffff:10.0.0.2"), &headers, &trusted);
        assert_eq!(client.ip(), ip("203.0.113.9"));
    }
}
