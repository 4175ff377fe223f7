import CDSEngine
import CDSJSON
import JWTKit

/// Who may call the service: the trusted CDS clients (issuers) and the public keys their
/// JWTs are signed with, read from a file the operator writes (docs/ehr-integration.md,
/// "Running the HTTP service"). CDS Hooks 2.0, "Trusting CDS Clients".
///
/// ```json
/// {
///   "serviceBaseUrl": "https://cds.example.org",
///   "issuers": [
///     { "iss": "https://ehr.example.org", "subjects": ["ehr-client-1"],
///       "jku": ["https://ehr.example.org/.well-known/jwks.json"],
///       "jwks": { "keys": [ { "kty": "EC", "crv": "P-384", "kid": "k1", "x": "...", "y": "..." } ] } }
///   ]
/// }
/// ```
///
/// Keys are EC P-384 (ES384) or RSA of at least 2048 bits (RS384), each with a `kid`; a key
/// with private material, a `use` other than `sig`, `key_ops` without `verify`, or another
/// algorithm is refused at start. Keys come from the file only: a JWT's `jku` is checked
/// against the issuer's allow-list but never fetched.
package struct TrustConfiguration: Sendable {
    /// One trusted CDS client.
    package struct Issuer: Sendable {
        package var iss: String
        /// `kid` -> key.
        package var keys: [String: TrustedKey]
        /// `jku` URLs the issuer's JWTs may name.
        package var jkuAllowList: Set<String>
        /// When set, only these `sub` values (client ids); others get 403.
        package var subjects: Set<String>?
    }

    /// One public signing key.
    package struct TrustedKey: Sendable {
        package var kid: String
        /// `ES384` or `RS384`.
        package var algorithm: String
        /// A collection holding this key only (jwt-kit verifies the signature).
        let collection: JWTKeyCollection
    }

    /// A problem in the trust file, with its JSON Pointer.
    /// A problem in the trust file: the one `path: message` shape of every document issue.
    package typealias Problem = PathIssue

    package var issuers: [String: Issuer]
    /// The public base URL (the specification's `{baseUrl}`) that `aud` is compared with;
    /// nil: `http://HOST:PORT` plus the base path, as the service listens.
    package var serviceBaseURL: String?

    /// Reads and checks a trust file; every problem is reported, none is skipped.
    package static func load(path: String) async throws(TrustFileError) -> TrustConfiguration {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path, limit: 1 << 20)
        } catch {
            throw TrustFileError(path: path, problems: [Problem(path: "", message: "cannot read: \(error)", code: .unreadable)])
        }
        let document: JSONValue
        do {
            document = try JSONParser().parse(bytes)
        } catch {
            throw TrustFileError(
                path: path,
                problems: [Problem(path: "", message: "invalid JSON at byte \(error.offset): \(error.message)", code: .invalidJSON)])
        }
        do {
            return try await parse(document)
        } catch {
            throw TrustFileError(path: path, problems: error.problems)
        }
    }

    /// Checks a trust document (the file's JSON).
    package static func parse(_ document: JSONValue) async throws(TrustFileError) -> TrustConfiguration {
        var problems: [Problem] = []
        func fail(_ path: String, _ message: String) { problems.append(Problem(path: path, message: message)) }
        guard let root = document.objectValue else {
            throw TrustFileError(path: nil, problems: [Problem(path: "", message: "must be an object")])
        }
        for key in root.orderedKeys where !["serviceBaseUrl", "issuers"].contains(key) { fail("/\(key)", "unknown member") }
        var base: String?
        if let value = root["serviceBaseUrl"] {
            if let text = value.stringValue, text.hasPrefix("https://") || text.hasPrefix("http://") {
                base = text.hasSuffix("/") ? String(text.dropLast()) : text
            } else {
                fail("/serviceBaseUrl", "must be an http(s) URL")
            }
        }
        var issuers: [String: Issuer] = [:]
        guard let list = root["issuers"]?.arrayValue, !list.isEmpty else {
            fail("/issuers", "must be a non-empty array of trusted issuers")
            throw TrustFileError(path: nil, problems: problems)
        }
        for (i, entry) in list.enumerated() {
            let at = "/issuers/\(i)"
            guard let object = entry.objectValue else {
                fail(at, "must be an object")
                continue
            }
            for key in object.orderedKeys where !["iss", "jwks", "jku", "subjects"].contains(key) { fail("\(at)/\(key)", "unknown member") }
            guard let iss = object["iss"]?.stringValue, !iss.isEmpty else {
                fail("\(at)/iss", "must be a non-empty string")
                continue
            }
            if issuers[iss] != nil { fail("\(at)/iss", "issuer \"\(iss)\" is listed twice") }
            let jku = strings(object["jku"], at: "\(at)/jku", &problems) ?? []
            let subjects = strings(object["subjects"], at: "\(at)/subjects", &problems)
            var keys: [String: TrustedKey] = [:]
            guard let jwks = object["jwks"]?["keys"]?.arrayValue, !jwks.isEmpty else {
                fail("\(at)/jwks/keys", "must be a non-empty array of public keys (a JWK Set)")
                continue
            }
            for (k, jwk) in jwks.enumerated() {
                let keyPath = "\(at)/jwks/keys/\(k)"
                switch await key(jwk, at: keyPath) {
                case .success(let key):
                    if keys[key.kid] != nil { fail("\(keyPath)/kid", "kid \"\(key.kid)\" is used twice by this issuer") }
                    keys[key.kid] = key
                case .failure(let problem):
                    problems.append(problem)
                }
            }
            issuers[iss] = Issuer(iss: iss, keys: keys, jkuAllowList: Set(jku), subjects: subjects.map(Set.init))
        }
        guard problems.isEmpty else { throw TrustFileError(path: nil, problems: problems) }
        return TrustConfiguration(issuers: issuers, serviceBaseURL: base)
    }

    private static func strings(_ value: JSONValue?, at path: String, _ problems: inout [Problem]) -> [String]? {
        guard let value else { return nil }
        guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
            problems.append(Problem(path: path, message: "must be an array of strings"))
            return nil
        }
        return items.compactMap(\.stringValue)
    }

    /// One JWK, checked: public, for signing, ES384 or RS384.
    private static func key(_ value: JSONValue, at path: String) async -> Result<TrustedKey, Problem> {
        func problem(_ member: String, _ message: String) -> Result<TrustedKey, Problem> {
            .failure(Problem(path: member.isEmpty ? path : "\(path)/\(member)", message: message))
        }
        guard let object = value.objectValue else { return problem("", "must be a JWK object") }
        guard let kid = object["kid"]?.stringValue, !kid.isEmpty else {
            return problem("kid", "every key needs a kid (JWTs name their key with it)")
        }
        for privateMember in ["d", "p", "q", "dp", "dq", "qi", "k"] where object[privateMember] != nil {
            return problem(privateMember, "private or symmetric key material: a trust file holds public keys only")
        }
        if let use = object["use"], use.stringValue != "sig" { return problem("use", "must be \"sig\" (a key for signing)") }
        if let ops = object["key_ops"] {
            guard let list = ops.arrayValue, list.contains(.string("verify")) else { return problem("key_ops", "must include \"verify\"") }
        }
        let kty = object["kty"]?.stringValue
        let algorithm: String
        let collection = JWTKeyCollection()
        switch kty {
        case "EC":
            algorithm = "ES384"
            guard object["crv"]?.stringValue == "P-384" else { return problem("crv", "must be P-384 (ES384)") }
            guard let x = object["x"]?.stringValue, let y = object["y"]?.stringValue,
                let xb = Base64URL.decode(x.utf8), let yb = Base64URL.decode(y.utf8), xb.count == 48, yb.count == 48
            else { return problem("x", "x and y must be base64url P-384 coordinates (48 bytes each)") }
            do {
                await collection.add(ecdsa: try ES384PublicKey(parameters: (x: x, y: y)), kid: JWKIdentifier(string: kid))
            } catch {
                return problem("x", "not a point on P-384")
            }
        case "RSA":
            algorithm = "RS384"
            guard let n = object["n"]?.stringValue, let e = object["e"]?.stringValue, let nb = Base64URL.decode(n.utf8),
                Base64URL.decode(e.utf8) != nil
            else { return problem("n", "n and e must be base64url") }
            guard nb.drop(while: { $0 == 0 }).count >= 256 else { return problem("n", "RSA keys must have at least 2048 bits") }
            do {
                await collection.add(
                    rsa: try Insecure.RSA.PublicKey(modulus: n, exponent: e), digestAlgorithm: .sha384, kid: JWKIdentifier(string: kid))
            } catch {
                return problem("n", "not a valid RSA public key")
            }
        default:
            return problem("kty", "must be \"EC\" (ES384) or \"RSA\" (RS384)")
        }
        if let alg = object["alg"], alg.stringValue != algorithm {
            return problem("alg", "must be \(algorithm) for this key (ES384 and RS384 are accepted; none and HS* never)")
        }
        return .success(TrustedKey(kid: kid, algorithm: algorithm, collection: collection))
    }
}

/// The trust file could not be used; nothing was loaded.
package struct TrustFileError: Error, Sendable, CustomStringConvertible {
    package var path: String?
    package var problems: [TrustConfiguration.Problem]
    package var description: String {
        problems.map { "trust file \(path ?? "-"): \($0)" }.joined(separator: "\n")
    }
}
