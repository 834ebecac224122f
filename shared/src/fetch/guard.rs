//! Where a fetch may go: public addresses only. Feed URLs, and every redirect they lead to, are
//! hostile input: a feed must not make the product reach its own loopback, a private network,
//! a link-local address or the cloud metadata service (169.254.169.254, fd00:ec2::254). Names are
//! checked after DNS (the client's resolver drops non-public answers), IP literals before the
//! request and on every redirect. Tests and local setups may allow named private addresses.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Is `ip` a public unicast address: not loopback, private, shared (CGNAT), link-local,
/// unspecified, broadcast, multicast, documentation or reserved, nor an IPv6 form of one?
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let first = segments[0];
    let embedded = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, which holds fd00:ec2::254
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated, still routed by some)
        || first == 0x2001 && segments[1] == 0x0db8 // documentation
        || first == 0x0064 && segments[1] == 0xff9b // NAT64 (well-known and local-use)
        || segments[..6].iter().all(|s| *s == 0) // IPv4-compatible ::a.b.c.d
        || first == 0x2002 && !is_public_v4(embedded(segments[1], segments[2])))
    // 6to4
}

/// Which addresses a fetch may reach: public ones, and the private ones named here.
#[derive(Debug, Clone, Default)]
pub struct AddressGuard {
    allowed: Arc<[IpAddr]>,
}

impl AddressGuard {
    /// A guard that also permits the given non-public addresses (tests, local servers).
    pub fn allowing(allowed: &[IpAddr]) -> Self {
        Self {
            allowed: allowed.into(),
        }
    }

    /// May a fetch connect to `ip`?
    pub fn permits(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allowed.contains(&ip)
    }

    /// Why `url` may not be fetched, when its host is an IP literal the guard refuses (names
    /// are checked when they resolve).
    pub fn refusal(&self, url: &reqwest::Url) -> Option<String> {
        let ip = match url.host()? {
            url::Host::Ipv4(v4) => IpAddr::V4(v4),
            url::Host::Ipv6(v6) => IpAddr::V6(v6),
            url::Host::Domain(_) => return None,
        };
        (!self.permits(ip)).then(|| format!("{ip} is not a public address: refused"))
    }
}

/// The error of a name that resolves to no address the guard permits.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves to no public address: refused")]
struct NoPublicAddress(String);

impl Resolve for AddressGuard {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let permitted: Vec<SocketAddr> = found.filter(|a| guard.permits(a.ip())).collect();
            if permitted.is_empty() {
                return Err(NoPublicAddress(host).into());
            }
            Ok(Box::new(permitted.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an IP address")
    }

    #[test]
    fn loopback_private_link_local_and_metadata_addresses_are_not_public() {
        for text in [
            "127.0.0.1",
            "127.1.2.3",
            "0.0.0.0",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::a9fe:a9fe",
            "::a9fe:a9fe",
            "::7f00:1",
            "fec0::1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(text)), "{text}");
        }
        for text in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip(text)), "{text}");
        }
    }

    #[test]
    fn named_private_addresses_may_be_allowed_and_literals_are_checked() {
        let guard = AddressGuard::allowing(&[ip("127.0.0.2")]);
        assert!(guard.permits(ip("127.0.0.2")));
        assert!(!guard.permits(ip("127.0.0.1")));
        let url = |s: &str| reqwest::Url::parse(s).expect("URL");
        assert_eq!(guard.refusal(&url("http://127.0.0.2:8080/feed")), None);
        assert_eq!(guard.refusal(&url("https://example.com/feed")), None);
        assert!(guard
            .refusal(&url("http://169.254.169.254/latest/meta-data/"))
            .is_some());
        assert!(guard.refusal(&url("http://[::1]/feed")).is_some());
        assert!(guard.refusal(&url("http://2130706433/feed")).is_some());
    }
}
