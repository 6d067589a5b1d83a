//! An identity provider whose HTTPS certificate a company's private certificate authority
//! signed (issue 10): the portal trusts it only when `auth.ca_file` names that authority.
//! The provider is a local HTTPS server answering OpenID Connect discovery; its
//! certificates are made fresh by each run.

use crate::support::TestPortal;
use axum::routing::get;
use axum::{Json, Router};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;
use server::config::{ProviderKind, Secret, SignInProvider};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

/// A TCP listener that speaks TLS, for `axum::serve`. A failed handshake (a client that
/// does not trust the certificate) is skipped.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, address)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, address);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A private CA, and a certificate for 127.0.0.1 it signed: (the CA as PEM, the server's
/// TLS configuration).
fn private_ca() -> (String, rustls::ServerConfig) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Acme private CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let leaf = params.signed_by(&key, &ca, &ca_key).unwrap();
    let chain = vec![leaf.der().clone(), ca.der().clone()];
    let private = pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, private)
    .unwrap();
    (ca.pem(), tls)
}

/// Starts the provider; returns its issuer URL and its CA.
async fn https_provider() -> (String, String) {
    let (ca_pem, tls) = private_ca();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("https://127.0.0.1:{}", tcp.local_addr().unwrap().port());
    let discovery = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/me"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    let router = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(discovery) }),
        )
        .route("/jwks", get(|| async { Json(json!({"keys": []})) }));
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(tls)),
    };
    tokio::spawn(async move { axum::serve(listener, router).await });
    (issuer, ca_pem)
}

fn acme(issuer: &str) -> SignInProvider {
    SignInProvider {
        id: "acme".into(),
        title: "Acme ID".into(),
        client_id: "portal".into(),
        client_secret: Secret::new("secret"),
        scopes: vec!["openid".into(), "email".into()],
        kind: ProviderKind::Oidc {
            issuer: issuer.to_string(),
        },
    }
}

/// `/auth/acme/start` at a portal that trusts `ca_pem` besides the public authorities.
async fn start(issuer: &str, ca_pem: Option<String>) -> reqwest::Response {
    let provider = acme(issuer);
    let app = TestPortal::new()
        .configure(move |config| {
            config.auth.providers = vec![provider];
            config.auth.ca_pem = ca_pem;
        })
        .start_sqlite()
        .await;
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/auth/acme/start"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_provider_signed_by_a_private_ca_is_trusted_only_with_auth_ca_file() {
    let (issuer, ca_pem) = https_provider().await;

    let response = start(&issuer, None).await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_GATEWAY,
        "not trusted by default"
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("cannot be reached"), "{text}");

    let response = start(&issuer, Some(ca_pem)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()[LOCATION].to_str().unwrap();
    assert!(to.starts_with(&format!("{issuer}/authorize?")), "{to}");

    // Another private CA's provider is still not trusted.
    let (_, other_ca) = https_provider().await;
    let response = start(&issuer, Some(other_ca)).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
}
