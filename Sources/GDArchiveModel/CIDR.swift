import Foundation

/// An IPv4 or IPv6 network in CIDR notation (`198.51.100.0/24`, `2001:db8::/32`), for
/// `remote_ip = '198.51.100.0/24'`: the filter compiler checks the notation, the archive's
/// SQL function `gdarchive_cidr_contains(cidr, ip)` tests values with the same code.
///
/// ```swift
/// CIDR("198.51.100.0/24")?.contains("198.51.100.7")   // true
/// ```
public struct CIDR: Sendable, Equatable {
    public let network: [UInt8]
    public let prefixLength: Int

    /// Nil for anything that is not an address, a slash and a prefix length in range.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), let address = Self.address(String(parts[0])) else { return nil }
        guard (0...(address.count * 8)).contains(length) else { return nil }
        network = address
        prefixLength = length
    }

    /// Whether `text` is an address, a slash and something: meant as a network, valid or not.
    public static func isMeantAsNetwork(_ text: String) -> Bool {
        guard let slash = text.firstIndex(of: "/") else { return false }
        return address(String(text[..<slash])) != nil
    }

    /// Whether `ip` (an address as text) lies in the network; false for anything else.
    public func contains(_ ip: String) -> Bool {
        guard let address = Self.address(ip), address.count == network.count else { return false }
        var bits = prefixLength
        for (a, b) in zip(address, network) {
            guard bits > 0 else { return true }
            let mask: UInt8 = bits >= 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if a & mask != b & mask { return false }
            bits -= 8
        }
        return true
    }

    /// The 4 or 16 bytes of an address written as text.
    static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
