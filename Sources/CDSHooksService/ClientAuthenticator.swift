import CDSEngine
import CDSJSON
import JWTKit

#if canImport(Glibc)
    import Glibc
#endif

/// The client a request was authenticated as.
package struct ClientIdentity: Sendable, Equatable {
    package var iss: String
    package var sub: String
}

/// Why a request was not authenticated: 401 (`status` 401, `WWW-Authenticate` built from
/// `challenge`) or 403 (a trusted client that may not call this service).
package struct AuthenticationFailure: Error, Sendable, Equatable {
    package var status: Int
    /// For the log and the `error_description`; never holds claims beyond `iss` and `kid`.
    package var reason: String
    /// Whether a token was presented at all (RFC 6750: no error code when none was).
    package var tokenPresented: Bool
    /// The issuer the token claimed, when it could be read.
    package var claimedIssuer: String?
}

/// CDS Hooks 2.0 client authentication: `Authorization: Bearer <JWT>`, signed by a trusted
/// issuer's key (ES384 or RS384, named by `kid`), with `iss`, `sub`, `aud` equal to the
/// endpoint called, `exp` at most five minutes ahead, `iat` not in the future and a `jti`
/// never seen before within the token's lifetime.
package final class ClientAuthenticator: Sendable {
    package let trust: TrustConfiguration
    /// Clock skew tolerated on `exp` and `iat`, in seconds.
    package let leeway: Int64
    private let now: @Sendable () -> Int64
    private let seen = ReplayCache()

    /// The longest lifetime the specification allows (`exp` no more than five minutes ahead).
    package static let maxLifetime: Int64 = 300

    package init(trust: TrustConfiguration, leeway: Int64 = 30, now: @escaping @Sendable () -> Int64 = { Int64(time(nil)) }) {
        self.trust = trust
        self.leeway = leeway
        self.now = now
    }

    /// Authenticates a request to `audience` (the full endpoint URL) from its `Authorization`
    /// header value. On success the token's `jti` is remembered until it expires.
    package func authenticate(authorization: String?, audience: String) async throws(AuthenticationFailure) -> ClientIdentity {
        guard let authorization else { throw Self.failure("no Authorization header", presented: false) }
        guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            throw Self.failure("the Authorization header is not a Bearer token", presented: false)
        }
        let token = String(authorization.dropFirst(7)).trimmingSpaces
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].isEmpty else { throw Self.failure("the token is not a signed JWT (header.payload.signature)") }
        guard let header = Self.segment(parts[0]) else { throw Self.failure("the JWT header is not base64url JSON") }
        guard let payload = Self.segment(parts[1]) else { throw Self.failure("the JWT payload is not base64url JSON") }
        guard let alg = header["alg"]?.stringValue else { throw Self.failure("the JWT header has no alg") }
        guard alg == "ES384" || alg == "RS384" else { throw Self.failure("algorithm \"\(alg)\" is not accepted (ES384 or RS384)") }
        guard let kid = header["kid"]?.stringValue, !kid.isEmpty else { throw Self.failure("the JWT header has no kid") }
        guard let iss = payload["iss"]?.stringValue, !iss.isEmpty else { throw Self.failure("the token has no iss") }
        guard let issuer = trust.issuers[iss] else { throw Self.failure("issuer is not trusted", issuer: iss) }
        if let jku = header["jku"] {
            guard let url = jku.stringValue, issuer.jkuAllowList.contains(url) else {
                throw Self.failure("jku is not on the issuer's allow-list", issuer: iss)
            }
        }
        guard let key = issuer.keys[kid] else { throw Self.failure("unknown key id \"\(kid)\" for this issuer", issuer: iss) }
        guard key.algorithm == alg else { throw Self.failure("key \"\(kid)\" is for \(key.algorithm), the token says \(alg)", issuer: iss) }
        do {
            _ = try await key.collection.verify(token, as: SignatureOnly.self)
        } catch {
            throw Self.failure("the signature does not verify with key \"\(kid)\"", issuer: iss)
        }
        // The signature holds: the claims are the issuer's.
        guard let sub = payload["sub"]?.stringValue, !sub.isEmpty else { throw Self.failure("the token has no sub", issuer: iss) }
        let audiences: [String]
        switch payload["aud"] {
        case .string(let one)?: audiences = [one]
        case .array(let many)?: audiences = many.compactMap(\.stringValue)
        default: throw Self.failure("the token has no aud", issuer: iss)
        }
        guard audiences.contains(audience) else { throw Self.failure("aud does not name this endpoint (\(audience))", issuer: iss) }
        guard let exp = Self.seconds(payload["exp"]) else { throw Self.failure("the token has no numeric exp", issuer: iss) }
        guard let iat = Self.seconds(payload["iat"]) else { throw Self.failure("the token has no numeric iat", issuer: iss) }
        guard let jti = payload["jti"]?.stringValue, !jti.isEmpty else { throw Self.failure("the token has no jti", issuer: iss) }
        let t = now()
        guard exp > t - leeway else { throw Self.failure("the token has expired", issuer: iss) }
        guard exp <= t + Self.maxLifetime + leeway else { throw Self.failure("exp is more than five minutes ahead", issuer: iss) }
        guard iat <= t + leeway else { throw Self.failure("iat is in the future", issuer: iss) }
        if let subjects = issuer.subjects, !subjects.contains(sub) {
            throw AuthenticationFailure(
                status: 403, reason: "client \"\(sub)\" of this issuer may not call the service", tokenPresented: true, claimedIssuer: iss)
        }
        guard seen.insert("\(iss)\u{0}\(jti)", until: exp + leeway, now: t) else {
            throw Self.failure("jti was already used (replay)", issuer: iss)
        }
        return ClientIdentity(iss: iss, sub: sub)
    }

    private static func failure(_ reason: String, presented: Bool = true, issuer: String? = nil) -> AuthenticationFailure {
        AuthenticationFailure(status: 401, reason: reason, tokenPresented: presented, claimedIssuer: issuer)
    }

    private static func segment(_ bytes: Substring.UTF8View.SubSequence) -> JSONValue? {
        guard let decoded = Base64URL.decode(bytes),
            let value = try? JSONParser(limits: .init(maxDepth: 8, maxBytes: 16 << 10)).parse(decoded),
            value.objectValue != nil
        else { return nil }
        return value
    }

    /// NumericDate (RFC 7519): seconds, an integer or a number with a fraction.
    private static func seconds(_ value: JSONValue?) -> Int64? {
        switch value {
        case .integer(let i)?: return i
        case .double(let d)? where d.isFinite && abs(d) < 1e15: return Int64(d)
        default: return nil
        }
    }
}

/// jwt-kit checks the signature only; the claims are read through the project's JSON layer.
private struct SignatureOnly: JWTPayload {
    func verify(using algorithm: some JWTAlgorithm) throws {}
}

/// `jti`s seen, each until its token expires; expired entries are dropped as new ones come.
final class ReplayCache: Sendable {
    private let state = Locked<(entries: [String: Int64], nextSweep: Int64)>(([:], 0))

    /// Remembers `key` until `expiry`; false if it is already remembered and not expired.
    func insert(_ key: String, until expiry: Int64, now: Int64) -> Bool {
        state.withLock { s in
            if now >= s.nextSweep {
                s.entries = s.entries.filter { $0.value > now }
                s.nextSweep = now + 10
            }
            if let until = s.entries[key], until > now { return false }
            s.entries[key] = expiry
            return true
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
