//! X-Ray subsegments for the SDKs' calls, so a trace crosses from a function to DynamoDB and S3.
//!
//! On Lambda with active tracing, the runtime puts each invocation's trace header in
//! `_X_AMZN_TRACE_ID` (`Root=…;Parent=<function segment>;Sampled=1`) and runs the X-Ray daemon at
//! `AWS_XRAY_DAEMON_ADDRESS`. [`XrayInterceptor`] times every SDK operation, passes
//! `Root=…;Parent=<its subsegment>` downstream, and sends one subsegment per operation (service,
//! operation, region, status, request id, retries) to the daemon over UDP, as the X-Ray SDKs do.
//! Without both variables, or when the invocation is not sampled, it does nothing.

use std::net::UdpSocket;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_types::os_shim_internal::Env;
use aws_types::region::Region;
use serde_json::json;

/// The variable Lambda sets to each invocation's trace header.
pub const TRACE_ENV: &str = "_X_AMZN_TRACE_ID";
/// The variable Lambda sets to the X-Ray daemon's address (`host:port`, or `udp:host:port tcp:…`).
pub const DAEMON_ENV: &str = "AWS_XRAY_DAEMON_ADDRESS";

/// An invocation's sampled trace: its root trace id and the segment that is the parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHeader {
    /// `1-<8 hex time>-<24 hex>`.
    pub root: String,
    /// The 16-hex id of the parent segment.
    pub parent: String,
}

impl TraceHeader {
    /// The header of a sampled trace; `None` when a part is missing or malformed, or it is not
    /// sampled.
    pub fn parse(header: &str) -> Option<Self> {
        let (mut root, mut parent, mut sampled) = (None, None, false);
        for part in header.split(';') {
            match part.trim().split_once('=') {
                Some(("Root", v)) => root = Some(v.to_owned()),
                Some(("Parent", v)) => parent = Some(v.to_owned()),
                Some(("Sampled", v)) => sampled = v == "1",
                _ => {}
            }
        }
        // Ids are hex digits (and dashes in the root): anything else is not a trace header, and
        // could not be passed on in one.
        let hex = |id: &String, dash: bool| {
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || dash && b == b'-')
        };
        Some(Self {
            root: root.filter(|r| hex(r, true))?,
            parent: parent.filter(|p| hex(p, false))?,
        })
        .filter(|_| sampled)
    }
}

/// Times SDK operations and reports them to the X-Ray daemon as subsegments (module docs).
#[derive(Debug, Default)]
pub struct XrayInterceptor {
    env: Env,
    /// The socket subsegments leave by, bound at the first one (`None`: it could not be bound).
    socket: OnceLock<Option<UdpSocket>>,
}

impl XrayInterceptor {
    /// Reads the trace header and daemon address from the process environment at each call.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads them from `vars` instead of the process environment (tests).
    pub fn with_vars(vars: &[(&str, &str)]) -> Self {
        Self {
            env: Env::from_slice(vars),
            socket: OnceLock::new(),
        }
    }
}

/// One operation in flight: where its subsegment goes and when it started.
#[derive(Debug, Clone)]
struct Subsegment {
    trace: TraceHeader,
    daemon: String,
    id: String,
    start: f64,
}

impl Storable for Subsegment {
    type Storer = StoreReplace<Self>;
}

impl XrayInterceptor {
    /// Sends one document to the daemon; tracing never fails the call it describes.
    fn send(&self, daemon: &str, document: &serde_json::Value) {
        let socket = self.socket.get_or_init(|| {
            UdpSocket::bind(("0.0.0.0", 0))
                .inspect_err(|error| tracing::debug!(%error, "no UDP socket for X-Ray"))
                .ok()
        });
        let datagram = format!("{{\"format\":\"json\",\"version\":1}}\n{document}");
        if let Some(Err(error)) = socket
            .as_ref()
            .map(|s| s.send_to(datagram.as_bytes(), daemon))
        {
            tracing::debug!(%error, daemon, "X-Ray subsegment not sent");
        }
    }
}

impl Intercept for XrayInterceptor {
    fn name(&self) -> &'static str {
        "XrayInterceptor"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let trace = self
            .env
            .get(TRACE_ENV)
            .ok()
            .and_then(|h| TraceHeader::parse(&h));
        let daemon = self.env.get(DAEMON_ENV).ok().and_then(|a| udp_address(&a));
        if let (Some(trace), Some(daemon)) = (trace, daemon) {
            cfg.interceptor_state().store_put(Subsegment {
                trace,
                daemon,
                id: segment_id(),
                start: now(),
            });
        }
        Ok(())
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(sub) = cfg.load::<Subsegment>() {
            let header = format!("Root={};Parent={};Sampled=1", sub.trace.root, sub.id);
            context
                .request_mut()
                .headers_mut()
                .insert("x-amzn-trace-id", header);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(sub) = cfg.load::<Subsegment>() else {
            return Ok(());
        };
        let (service, operation) = cfg
            .load::<Metadata>()
            .map_or(("AWS", "Unknown"), |m| (m.service(), m.name()));
        let status = context.response().map(|r| r.status().as_u16());
        let request_id = context.response().and_then(|r| {
            ["x-amzn-requestid", "x-amz-request-id"]
                .iter()
                .find_map(|h| r.headers().get(*h))
                .map(str::to_owned)
        });
        let failed = context.output_or_error().is_some_and(|o| o.is_err());
        let document = json!({
            "type": "subsegment",
            "name": service,
            "namespace": "aws",
            "id": sub.id,
            "trace_id": sub.trace.root,
            "parent_id": sub.trace.parent,
            "start_time": sub.start,
            "end_time": now(),
            "aws": {
                "operation": operation,
                "region": cfg.load::<Region>().map(|r| r.as_ref().to_owned()),
                "request_id": request_id,
            },
            "http": { "response": { "status": status } },
            "throttle": status == Some(429),
            "fault": failed && status.is_none_or(|s| s >= 500),
            "error": failed && status.is_some_and(|s| (400..500).contains(&s)),
        });
        self.send(&sub.daemon, &document);
        Ok(())
    }
}

/// The UDP `host:port` of a daemon address (`host:port` or `udp:host:port tcp:host:port`).
fn udp_address(address: &str) -> Option<String> {
    let address = address.trim();
    if !address.contains(' ') && !address.contains("p:") {
        return Some(address.to_owned()).filter(|a| !a.is_empty());
    }
    address
        .split_whitespace()
        .find_map(|part| part.strip_prefix("udp:"))
        .map(str::to_owned)
}

/// A fresh 64-bit segment id in 16 hex digits.
fn segment_id() -> String {
    // The low half of a v7 UUID: 62 random bits under the two variant bits.
    let random = uuid::Uuid::now_v7().as_u64_pair().1;
    format!("{random:016x}")
}

/// Seconds since the epoch, as X-Ray documents take them.
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sampled_header_parses_and_an_unsampled_one_is_ignored() {
        let header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        assert_eq!(
            TraceHeader::parse(header),
            Some(TraceHeader {
                root: "1-5759e988-bd862e3fe1be46a994272793".into(),
                parent: "53995c3f42cd8ad8".into(),
            })
        );
        assert_eq!(
            TraceHeader::parse(&header.replace("Sampled=1", "Sampled=0")),
            None
        );
        assert_eq!(
            TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),
            None
        );
        assert_eq!(TraceHeader::parse(""), None);
        assert_eq!(
            TraceHeader::parse("Root=1-5759e988-bd86\n2e3f;Parent=53995c3f42cd8ad8;Sampled=1"),
            None
        );
    }

    #[test]
    fn daemon_addresses_in_both_forms() {
        assert_eq!(
            udp_address("169.254.79.129:2000").as_deref(),
            Some("169.254.79.129:2000")
        );
        assert_eq!(
            udp_address("tcp:127.0.0.1:2000 udp:127.0.0.2:2001").as_deref(),
            Some("127.0.0.2:2001")
        );
        assert_eq!(udp_address(""), None);
    }
}
