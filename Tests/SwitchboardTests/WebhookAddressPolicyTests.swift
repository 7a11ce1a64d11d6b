import NIOCore
import SwitchboardJobs
import XCTest

final class WebhookAddressPolicyTests: XCTestCase {
    private func refusal(_ ip: String, allowsLoopback: Bool = false, file: StaticString = #filePath, line: UInt = #line) -> String? {
        guard let address = try? SocketAddress(ipAddress: ip, port: 443) else {
            XCTFail("not an IP address: \(ip)", file: file, line: line)
            return "invalid"
        }
        return WebhookAddressPolicy(allowsLoopback: allowsLoopback).refusal(for: address)
    }

    private func check(_ table: [(String, String?)], allowsLoopback: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        for (ip, expected) in table {
            XCTAssertEqual(refusal(ip, allowsLoopback: allowsLoopback), expected, ip, file: file, line: line)
        }
    }

    func testIPv4RangesAndTheirBoundaries() {
        check([
            ("0.0.0.0", "unspecified (\"this network\") address"), ("0.255.255.255", "unspecified (\"this network\") address"),
            ("1.0.0.0", nil), ("9.255.255.255", nil),
            ("10.0.0.0", "private address"), ("10.255.255.255", "private address"), ("11.0.0.0", nil),
            ("100.63.255.255", nil), ("100.64.0.0", "shared (carrier-grade NAT) address"),
            ("100.127.255.255", "shared (carrier-grade NAT) address"), ("100.128.0.0", nil),
            ("126.255.255.255", nil), ("127.0.0.0", "loopback address"), ("127.0.0.1", "loopback address"),
            ("127.255.255.255", "loopback address"), ("128.0.0.0", nil),
            ("169.253.255.255", nil), ("169.254.0.0", "link-local address"), ("169.254.169.254", "link-local address"),
            ("169.254.255.255", "link-local address"), ("169.255.0.0", nil),
            ("172.15.255.255", nil), ("172.16.0.0", "private address"), ("172.31.255.255", "private address"), ("172.32.0.0", nil),
            ("191.255.255.255", nil), ("192.0.0.0", "IETF protocol assignment address"),
            ("192.0.0.255", "IETF protocol assignment address"), ("192.0.1.0", nil),
            ("192.0.2.0", "documentation address"), ("192.0.2.255", "documentation address"), ("192.0.3.0", nil),
            ("192.88.98.255", nil), ("192.88.99.1", "6to4 relay anycast address"), ("192.88.100.0", nil),
            ("192.167.255.255", nil), ("192.168.0.0", "private address"), ("192.168.255.255", "private address"), ("192.169.0.0", nil),
            ("198.17.255.255", nil), ("198.18.0.0", "benchmarking address"), ("198.19.255.255", "benchmarking address"), ("198.20.0.0", nil),
            ("198.51.99.255", nil), ("198.51.100.7", "documentation address"), ("198.51.101.0", nil),
            ("203.0.112.255", nil), ("203.0.113.9", "documentation address"), ("203.0.114.0", nil),
            ("223.255.255.255", nil), ("224.0.0.0", "multicast address"), ("239.255.255.255", "multicast address"),
            ("240.0.0.0", "reserved address"), ("255.255.255.254", "reserved address"), ("255.255.255.255", "broadcast address"),
            ("8.8.8.8", nil), ("1.1.1.1", nil), ("93.184.216.34", nil),
        ])
    }

    func testIPv6RangesAndEmbeddedIPv4() {
        check([
            ("::", "unspecified address"), ("::1", "loopback address"),
            // IPv4-mapped, IPv4-compatible, NAT64 and 6to4 are judged by the IPv4 address inside.
            ("::ffff:127.0.0.1", "loopback address"), ("::ffff:10.1.2.3", "private address"),
            ("::ffff:169.254.169.254", "link-local address"), ("::ffff:172.15.255.255", nil), ("::ffff:8.8.8.8", nil),
            ("::10.0.0.1", "private address"), ("::0.0.0.2", "unspecified (\"this network\") address"), ("::8.8.8.8", nil),
            ("64:ff9b::10.0.0.1", "private address"), ("64:ff9b::127.0.0.1", "loopback address"), ("64:ff9b::8.8.8.8", nil),
            ("64:ff9b:1::1", "local-use NAT64 address"),
            ("2002:a00:1::1", "private address"), ("2002:a9fe:a9fe::", "link-local address"), ("2002:808:808::1", nil),
            ("fbff:ffff::1", "reserved address"), ("fc00::1", "unique-local address"), ("fdff:ffff::1", "unique-local address"),
            ("fe7f:ffff::1", "reserved address"),
            ("fe80::1", "link-local address"), ("febf:ffff::1", "link-local address"),
            ("fec0::1", "site-local address"), ("feff:ffff::1", "site-local address"), ("ff02::1", "multicast address"),
            ("2001:db8::1", "documentation address"), ("2001:db8:ffff::1", "documentation address"),
            ("2001:db7:ffff::1", nil), ("2001:db9::1", nil),
            ("2001::1", "IETF protocol assignment address"), ("2001:1ff:ffff::1", "IETF protocol assignment address"), ("2001:200::1", nil),
            ("100::1", "discard-only address"), ("100::ffff:ffff:ffff:ffff", "discard-only address"), ("100:0:0:1::1", "reserved address"),
            ("3fff::1", "documentation address"), ("3fff:fff:ffff::1", "documentation address"), ("3fff:1000::1", nil),
            ("4000::1", "reserved address"), ("1fff::1", "reserved address"),
            ("2606:4700:4700::1111", nil), ("2a00:1450:4001::1", nil),
        ])
    }

    func testAllowsLoopbackLetsOnlyLoopbackThrough() {
        check([
            ("127.0.0.1", nil), ("127.255.255.254", nil), ("::1", nil), ("::ffff:127.0.0.1", nil), ("8.8.8.8", nil),
            ("169.254.169.254", "link-local address"), ("::ffff:169.254.169.254", "link-local address"),
            ("10.0.0.1", "private address"), ("192.168.1.1", "private address"), ("0.0.0.0", "unspecified (\"this network\") address"),
            ("::", "unspecified address"), ("fe80::1", "link-local address"), ("fc00::1", "unique-local address"),
            // Loopback reached through a translator or tunnel is not the local machine's loopback.
            ("::127.0.0.1", "loopback address"), ("64:ff9b::127.0.0.1", "loopback address"), ("2002:7f00:1::", "loopback address"),
        ], allowsLoopback: true)
        XCTAssertEqual(refusal("127.0.0.1"), "loopback address")
        XCTAssertEqual(refusal("::1"), "loopback address")
    }

    func testUnixDomainSocketsAreRefused() throws {
        let address = try SocketAddress(unixDomainSocketPath: "/tmp/switchboard.sock")
        XCTAssertEqual(WebhookAddressPolicy(allowsLoopback: true).refusal(for: address), "unix-domain socket address")
    }
}
