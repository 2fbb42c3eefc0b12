//! Where webhooks may deliver: http(s) URLs whose host resolves only to public addresses. A
//! URL is checked when it is saved and its host again at every attempt, by the resolver the
//! HTTP client connects through (a name that resolved to a public address yesterday may point
//! inside the network today: DNS rebinding).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// Whether an address is on the public internet: not loopback, private, link-local (cloud
/// metadata services live there), shared (CGNAT), documentation, benchmarking, multicast,
/// reserved or unspecified.
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
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b // NAT64, which embeds IPv4 addresses
        || first == 0x2002 // 6to4, likewise
        || first == 0x2001 && ip.segments()[1] == 0 // Teredo, likewise
        || ip.segments()[..4] == [0, 0, 0, 0] && ip.segments()[4] == 0xffff && ip.segments()[5] == 0 // IPv4-translated
        || ip.segments()[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible
}

/// A webhook URL as saved: http or https, with a host, no credentials, and (unless
/// `allow_private`) a host that resolves to public addresses only.
pub async fn check_url(field: &str, raw: &str, allow_private: bool) -> AppResult<String> {
    let text = validate::web_url(field, raw)?;
    let url = Url::parse(&text).map_err(|_| AppError::invalid(field, "not a URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::invalid(field, "a webhook URL must not hold credentials; the signature authenticates"));
    }
    if !allow_private {
        let addresses = resolve(&url).await.map_err(|message| AppError::invalid(field, message))?;
        if let Some(ip) = addresses.iter().map(SocketAddr::ip).find(|ip| !is_public(*ip)) {
            // The address itself stays in the server's log: answers must not map internal names.
            tracing::info!(host = url.host_str().unwrap_or_default(), %ip, "refused a webhook URL to an internal address");
            return Err(AppError::invalid(
                field,
                format!(
                    "`{}` resolves to an internal address; webhooks deliver to public addresses only",
                    url.host_str().unwrap_or_default()
                ),
            ));
        }
    }
    Ok(text)
}

/// The addresses a URL's host stands for.
async fn resolve(url: &Url) -> Result<Vec<SocketAddr>, String> {
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let found = tokio::net::lookup_host((host, port)).await.map_err(|_| format!("`{host}` does not resolve"))?;
    let found: Vec<_> = found.collect();
    if found.is_empty() { Err(format!("`{host}` does not resolve")) } else { Ok(found) }
}

/// Refuses, before connecting, a URL whose host is an internal address literal (names go
/// through [`PublicOnly`]).
pub fn check_literal(url: &Url, allow_private: bool) -> Result<(), String> {
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    match literal {
        Some(ip) if !allow_private && !is_public(ip) => Err("the URL names an internal address".to_owned()),
        _ => Ok(()),
    }
}

/// The HTTP client's resolver: a name that resolves to any internal address is refused, so
/// the connection can only go where the check allowed.
pub struct PublicOnly {
    pub allow_private: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if let Some(ip) = found.iter().map(SocketAddr::ip).find(|ip| !allow_private && !is_public(*ip)) {
                tracing::info!(host = name.as_str(), %ip, "refused to deliver a webhook to an internal address");
                return Err(format!("{} resolves to an internal address", name.as_str()).into());
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "2001:0:4136:e378::1",
            "::ffff:0:a9fe:a9fe",
        ] {
            assert!(!is_public(internal.parse().unwrap()), "{internal}");
        }
        for public in ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn a_url_to_an_internal_address_is_refused_unless_allowed() {
        for url in
            ["http://127.0.0.1:9000/hook", "http://localhost/hook", "http://[::1]/hook", "http://169.254.169.254/"]
        {
            let refused = check_url("url", url, false).await.unwrap_err();
            assert_eq!(refused.code(), "BAD_USER_INPUT", "{url}");
        }
        assert!(check_url("url", "http://127.0.0.1:9000/hook", true).await.is_ok());
        assert!(check_url("url", "ftp://example.com/hook", true).await.is_err());
        assert!(check_url("url", "https://user:pw@example.com/hook", true).await.is_err());
        assert!(check_literal(&Url::parse("http://10.0.0.1/").unwrap(), false).is_err());
        assert!(check_literal(&Url::parse("http://10.0.0.1/").unwrap(), true).is_ok());
    }
}
