//! The client's address: the socket peer, or — only when the peer is a configured proxy —
//! the address that proxy put in `X-Forwarded-For`. Anyone can send that header, so
//! believing it from everyone would let a guesser pick a fresh address per attempt.

use axum::http::HeaderMap;
use std::net::IpAddr;

/// One trusted proxy: an address, or a network in CIDR notation (`10.0.0.0/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    fn parse(s: &str) -> Option<Net> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Net { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

/// IPv4 peers may arrive as IPv4-mapped IPv6 addresses on a dual-stack socket.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let (full, rest) = ((bits / 8) as usize, bits % 8);
    if a[..full] != b[..full] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[full] & mask == b[full] & mask
    }
}

/// `auth.trusted_proxies` parsed; empty (the default) trusts no forwarded header.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<Net>);

impl TrustedProxies {
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        entries
            .iter()
            .filter(|e| !e.trim().is_empty())
            .map(|e| {
                Net::parse(e).ok_or_else(|| format!("{e:?} is not an IP address or CIDR network"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// Walks `X-Forwarded-For` from the nearest hop back while the hops are trusted
    /// proxies; the first hop that is not one is the client. Entries further left were
    /// written by the client itself and count for nothing.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = canonical(ip);
                    if !self.trusts(client) {
                        break;
                    }
                }
                // Garbage from a proxy we trust: go no further than the last good hop.
                Err(_) => break,
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn header_ignored_without_trusted_proxies() {
        let p = TrustedProxies::default();
        assert_eq!(
            p.client_ip(ip("127.0.0.1"), &xff("9.9.9.9")),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn header_ignored_from_untrusted_peer() {
        let p = proxies(&["10.0.0.1"]);
        assert_eq!(p.client_ip(ip("5.5.5.5"), &xff("9.9.9.9")), ip("5.5.5.5"));
    }

    #[test]
    fn nearest_untrusted_hop_is_the_client() {
        let p = proxies(&["10.0.0.0/8", "::1"]);
        // The client claims 1.2.3.4; the proxy appended what it saw.
        assert_eq!(
            p.client_ip(ip("10.0.0.1"), &xff("1.2.3.4, 7.7.7.7, 10.1.1.1")),
            ip("7.7.7.7")
        );
        assert_eq!(p.client_ip(ip("::1"), &xff("8.8.8.8")), ip("8.8.8.8"));
        assert_eq!(
            p.client_ip(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        assert_eq!(
            p.client_ip(ip("10.0.0.1"), &xff("junk, 10.0.0.2")),
            ip("10.0.0.2")
        );
        assert_eq!(
            p.client_ip(ip("::ffff:10.0.0.1"), &xff("6.6.6.6")),
            ip("6.6.6.6")
        );
    }

    #[test]
    fn parses_addresses_and_networks() {
        assert!(TrustedProxies::parse(&["not-an-ip".into()]).is_err());
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        let p = proxies(&["192.168.0.0/16", "fd00::/8"]);
        assert!(p.trusts(ip("192.168.44.2")));
        assert!(!p.trusts(ip("192.169.0.1")));
        assert!(p.trusts(ip("fd12::1")));
        assert!(!proxies(&["10.0.0.0/9"]).trusts(ip("10.128.0.1")));
        assert!(proxies(&["0.0.0.0/0"]).trusts(ip("1.2.3.4")));
    }
}
