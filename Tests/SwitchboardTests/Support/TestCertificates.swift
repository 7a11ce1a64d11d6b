import NIOSSL

/// A test CA and two server certificates it signed (valid until 2126, made once with openssl): one
/// for IP:127.0.0.1 only, one for DNS:localhost only. Only the tests trust this CA; the sender's
/// default configuration trusts the system's roots.
enum TestCertificates {
    enum Identity {
        case ipAddress, localhostName
    }

    static let caPEM = """
-----BEGIN CERTIFICATE-----
MIIBozCCAUmgAwIBAgIUcB3xnqY7mICRbP+ZHX+lv62Yh2cwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTU3dpdGNoYm9hcmQgVGVzdCBDQTAgFw0yNjEyMDIyMzQ0MTda
GA8yMTI2MTEwODIzNDQxN1owHjEcMBoGA1UEAwwTU3dpdGNoYm9hcmQgVGVzdCBD
QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABApXugOGKA9fCc5+DtcutRe1m4yI
6qguZ+yCbarqvkaSiZdBmjmDZCyP/dTbvF/Hig0k6imENn+QKnBywG5wczqjYzBh
MB0GA1UdDgQWBBSqrv1iPzL6z9JK8zDmF/unVsnz+zAfBgNVHSMEGDAWgBSqrv1i
PzL6z9JK8zDmF/unVsnz+zAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIB
BjAKBggqhkjOPQQDAgNIADBFAiEAxQZHYzoV0zOXrhnRSSXo1zEHxCsiM8oNGDtX
E/bTrnwCID5Y//ZPjfiQuphDdqy+oxG+kadI1iMgXTx+VfYpOUgg
-----END CERTIFICATE-----
"""

    /// subjectAltName IP:127.0.0.1
    static let ipServerPEM = """
-----BEGIN CERTIFICATE-----
MIIBvTCCAWSgAwIBAgIUQn9yAd+16FVIbTdGm0vrNRiRfJQwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTU3dpdGNoYm9hcmQgVGVzdCBDQTAgFw0yNjEyMDIyMzQ1NTFa
GA8yMTI2MTEwODIzNDU1MVowFDESMBAGA1UEAwwJMTI3LjAuMC4xMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAESsoUa+qPsJ6mCYQc6ESedLJt/4CDVggLa1UsbUDY
lx4P4S0GZfx2MtEj0qNgoYoiHKPfZ14S6OhDEKPH8Xeo4aOBhzCBhDAPBgNVHREE
CDAGhwR/AAABMAwGA1UdEwEB/wQCMAAwEwYDVR0lBAwwCgYIKwYBBQUHAwEwDgYD
VR0PAQH/BAQDAgeAMB0GA1UdDgQWBBSnCUxZ/bSKRNpiqXG0AdW1R11R3TAfBgNV
HSMEGDAWgBSqrv1iPzL6z9JK8zDmF/unVsnz+zAKBggqhkjOPQQDAgNHADBEAiBu
KgqVSFygoe6I+0hiLcUBWluJuCh0trqGp6QtpL9GvQIgWuv8Glc2pAQ/nAdeHp+t
QJ5cueY9uIS3s1JTi6fOr+0=
-----END CERTIFICATE-----
"""

    /// subjectAltName DNS:localhost
    static let nameServerPEM = """
-----BEGIN CERTIFICATE-----
MIIBxDCCAWmgAwIBAgIUQn9yAd+16FVIbTdGm0vrNRiRfJUwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTU3dpdGNoYm9hcmQgVGVzdCBDQTAgFw0yNjEyMDIyMzQ1NTJa
GA8yMTI2MTEwODIzNDU1MlowFDESMBAGA1UEAwwJbG9jYWxob3N0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAESsoUa+qPsJ6mCYQc6ESedLJt/4CDVggLa1UsbUDY
lx4P4S0GZfx2MtEj0qNgoYoiHKPfZ14S6OhDEKPH8Xeo4aOBjDCBiTAUBgNVHREE
DTALgglsb2NhbGhvc3QwDAYDVR0TAQH/BAIwADATBgNVHSUEDDAKBggrBgEFBQcD
ATAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYEFKcJTFn9tIpE2mKpcbQB1bVHXVHd
MB8GA1UdIwQYMBaAFKqu/WI/MvrP0krzMOYX+6dWyfP7MAoGCCqGSM49BAMCA0kA
MEYCIQCDatbL8x5Rmu+CKfoZZEiSRJFqpFIxplJ6RB/nuOotvQIhAOyw480KwrLL
jRP29nkvvhe69tuOSFJbmiLLX0v5AJWF
-----END CERTIFICATE-----
"""

    static let serverKeyPEM = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgRnIeSN2iwTpRD/dQ
GexanQx7JNj+LqbSZrASOnwnnOGhRANCAARKyhRr6o+wnqYJhBzoRJ50sm3/gINW
CAtrVSxtQNiXHg/hLQZl/HYy0SPSo2ChiiIco99nXhLo6EMQo8fxd6jh
-----END PRIVATE KEY-----
"""

    static func serverContext(_ identity: Identity) throws -> NIOSSLContext {
        let pem = identity == .ipAddress ? ipServerPEM : nameServerPEM
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serverKeyPEM.utf8), format: .pem))
        )
        return try NIOSSLContext(configuration: configuration)
    }

    /// The sender's default configuration (full verification), trusting the test CA instead of the system's.
    static func clientConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(caPEM.utf8), format: .pem)])
        return configuration
    }
}
