import CDSEngine
import CDSJSON
import Foundation
import JWTKit
import Testing

@testable import CDSHooksService

/// Keys and tokens for the trust tests, made with jwt-kit (an independent signer).
struct Fixture {
    static let issuer = "https://ehr.example.org"
    static let audience = "https://cds.example.org/cds-services/iliopsoas-syndrome"
    static let now: Int64 = 1_800_000_000

    let ec = ES384PrivateKey()
    let otherEC = ES384PrivateKey()

    var ecJWK: JSONValue {
        let p = ec.publicKey.parameters
        return ["kty": "EC", "crv": "P-384", "kid": "ec1", "use": "sig", "x": .string(p?.x ?? ""), "y": .string(p?.y ?? "")]
    }

    func trustDocument(keys: [JSONValue]? = nil, extra: JSONObject = [:]) -> JSONValue {
        var issuer: JSONObject = [
            "iss": .string(Self.issuer), "jwks": ["keys": .array(keys ?? [ecJWK])], "jku": ["https://ehr.example.org/jwks.json"],
        ]
        for (k, v) in extra { issuer[k] = v }
        return ["serviceBaseUrl": "https://cds.example.org", "issuers": [.object(issuer)]]
    }

    struct Claims: JWTPayload {
        var iss: String? = Fixture.issuer
        var sub: String? = "client-1"
        var aud: String? = Fixture.audience
        var exp: Int64? = Fixture.now + 120
        var iat: Int64? = Fixture.now
        var jti: String? = UUID().uuidString
        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    func token(_ claims: Claims = Claims(), key: ES384PrivateKey? = nil, kid: String = "ec1", header: [String: String] = [:]) async throws
        -> String
    {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key ?? ec, kid: JWKIdentifier(string: kid))
        var fields = JWTHeader()
        for (k, v) in header { fields[dynamicMember: k] = .string(v) }
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid), header: fields)
    }

    func authenticator(_ document: JSONValue? = nil) async throws -> ClientAuthenticator {
        ClientAuthenticator(trust: try await TrustConfiguration.parse(document ?? trustDocument()), now: { Fixture.now })
    }
}

func base64url(_ text: String) -> String {
    Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

@Suite struct TrustConfigurationTests {
    let f = Fixture()

    func problems(_ document: JSONValue) async -> [String] {
        do {
            _ = try await TrustConfiguration.parse(document)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func aValidFileLoads() async throws {
        let trust = try await TrustConfiguration.parse(f.trustDocument())
        #expect(trust.serviceBaseURL == "https://cds.example.org")
        #expect(trust.issuers[Fixture.issuer]?.keys["ec1"]?.algorithm == "ES384")
        #expect(trust.issuers[Fixture.issuer]?.jkuAllowList == ["https://ehr.example.org/jwks.json"])
    }

    @Test func privateMaterialIsRefused() async {
        guard case .object(var key) = f.ecJWK else { return }
        key["d"] = "AAAA"
        #expect(await problems(f.trustDocument(keys: [.object(key)])).contains { $0.hasPrefix("/issuers/0/jwks/keys/0/d:") })
    }

    @Test func symmetricAndOtherKeysAreRefused() async {
        let oct: JSONValue = ["kty": "oct", "kid": "h", "k": "c2VjcmV0"]
        #expect(await problems(f.trustDocument(keys: [oct])).first?.hasPrefix("/issuers/0/jwks/keys/0/k:") == true)
        let okp: JSONValue = ["kty": "OKP", "kid": "o", "crv": "Ed25519", "x": "AAAA"]
        #expect(await problems(f.trustDocument(keys: [okp])).first?.hasPrefix("/issuers/0/jwks/keys/0/kty:") == true)
    }

    @Test func keysNotForSigningAreRefused() async {
        guard case .object(var key) = f.ecJWK else { return }
        key["use"] = "enc"
        #expect(await problems(f.trustDocument(keys: [.object(key)])).first?.hasPrefix("/issuers/0/jwks/keys/0/use:") == true)
        key["use"] = nil
        key["key_ops"] = ["encrypt"]
        #expect(await problems(f.trustDocument(keys: [.object(key)])).first?.hasPrefix("/issuers/0/jwks/keys/0/key_ops:") == true)
        key["key_ops"] = nil
        key["alg"] = "HS256"
        #expect(await problems(f.trustDocument(keys: [.object(key)])).first?.hasPrefix("/issuers/0/jwks/keys/0/alg:") == true)
        key["alg"] = "ES384"
        key["crv"] = "P-256"
        #expect(await problems(f.trustDocument(keys: [.object(key)])).first?.hasPrefix("/issuers/0/jwks/keys/0/crv:") == true)
    }

    @Test func everyProblemIsReportedWithItsPath() async {
        guard case .object(var noKid) = f.ecJWK else { return }
        noKid["kid"] = nil
        let document: JSONValue = [
            "issuers": [
                ["iss": "a", "jwks": ["keys": [f.ecJWK, f.ecJWK]]],
                ["iss": "b", "jwks": ["keys": [.object(noKid)]], "subjects": "x"],
                ["iss": "c"],
            ],
            "audience": "x",
        ]
        let found = await problems(document)
        #expect(found.contains { $0.hasPrefix("/audience:") })
        #expect(found.contains { $0.hasPrefix("/issuers/0/jwks/keys/1/kid:") && $0.contains("twice") })
        #expect(found.contains { $0.hasPrefix("/issuers/1/jwks/keys/0/kid:") })
        #expect(found.contains { $0.hasPrefix("/issuers/1/subjects:") })
        #expect(found.contains { $0.hasPrefix("/issuers/2/jwks/keys:") })
        #expect(await problems(["issuers": []]) == ["/issuers: must be a non-empty array of trusted issuers"])
    }

    @Test func shortRSAKeysAreRefused() async {
        let small: JSONValue = ["kty": "RSA", "kid": "r", "n": .string(base64url(String(repeating: "a", count: 128))), "e": "AQAB"]
        #expect(await problems(f.trustDocument(keys: [small])).first?.contains("2048") == true)
    }

    @Test func aFileThatIsNotJSONNamesTheByte() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID().uuidString).json").path
        try "{\"issuers\": [".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        await #expect {
            _ = try await TrustConfiguration.load(path: path)
        } throws: { error in
            (error as? TrustFileError)?.description.contains("invalid JSON at byte") == true
        }
    }
}

@Suite struct ClientAuthenticatorTests {
    let f = Fixture()

    func failure(_ authorization: String?, audience: String = Fixture.audience, _ auth: ClientAuthenticator? = nil) async throws
        -> AuthenticationFailure?
    {
        let a: ClientAuthenticator
        if let auth { a = auth } else { a = try await f.authenticator() }
        do {
            _ = try await a.authenticate(authorization: authorization, audience: audience)
            return nil
        } catch {
            return error
        }
    }

    @Test func aValidTokenAuthenticates() async throws {
        let identity = try await f.authenticator().authenticate(
            authorization: "Bearer " + (try await f.token()), audience: Fixture.audience)
        #expect(identity == ClientIdentity(iss: Fixture.issuer, sub: "client-1"))
    }

    @Test func audMayBeAnArray() async throws {
        struct ManyAudiences: JWTPayload {
            var iss = Fixture.issuer, sub = "c", aud = ["x", Fixture.audience], exp = Fixture.now + 60, iat = Fixture.now, jti = "j"
            func verify(using algorithm: some JWTAlgorithm) throws {}
        }
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: f.ec, kid: "ec1")
        let token = try await keys.sign(ManyAudiences(), kid: "ec1")
        #expect(try await failure("Bearer " + token) == nil)
    }

    @Test func theClaimsAreChecked() async throws {
        var c = Fixture.Claims()
        c.exp = Fixture.now - 31
        c.iat = Fixture.now - 200
        #expect(try await failure("Bearer " + f.token(c))?.reason == "the token has expired")
        c = Fixture.Claims()
        c.iat = Fixture.now + 31
        #expect(try await failure("Bearer " + f.token(c))?.reason == "iat is in the future")
        c = Fixture.Claims()
        c.exp = Fixture.now + 300 + 31
        #expect(try await failure("Bearer " + f.token(c))?.reason == "exp is more than five minutes ahead")
        c = Fixture.Claims()
        c.aud = "https://cds.example.org/cds-services/other"
        #expect(try await failure("Bearer " + f.token(c))?.reason.hasPrefix("aud does not name this endpoint") == true)
        for missing in ["sub", "aud", "exp", "iat", "jti"] {
            c = Fixture.Claims()
            switch missing {
            case "sub": c.sub = nil
            case "aud": c.aud = nil
            case "exp": c.exp = nil
            case "iat": c.iat = nil
            default: c.jti = nil
            }
            let reason = try await failure("Bearer " + f.token(c))?.reason ?? ""
            #expect(reason.contains("no \(missing)") || reason.contains("no numeric \(missing)"), "\(missing): \(reason)")
        }
        // Within the clock skew allowed.
        c = Fixture.Claims()
        c.exp = Fixture.now - 10
        c.iat = Fixture.now + 10
        #expect(try await failure("Bearer " + f.token(c)) == nil)
    }

    @Test func theSignatureAndKeyAreChecked() async throws {
        #expect(try await failure("Bearer " + f.token(key: f.otherEC))?.reason == "the signature does not verify with key \"ec1\"")
        #expect(try await failure("Bearer " + f.token(key: f.otherEC, kid: "ec2"))?.reason == "unknown key id \"ec2\" for this issuer")
        var c = Fixture.Claims()
        c.iss = "https://rogue.example"
        let rogue = try await failure("Bearer " + f.token(c))
        #expect(rogue?.reason == "issuer is not trusted")
        #expect(rogue?.claimedIssuer == "https://rogue.example")
        #expect(
            try await failure("Bearer " + f.token(header: ["jku": "https://rogue.example/jwks"]))?.reason
                == "jku is not on the issuer's allow-list")
        #expect(try await failure("Bearer " + f.token(header: ["jku": "https://ehr.example.org/jwks.json"])) == nil)
    }

    @Test func onlyES384AndRS384AreAccepted() async throws {
        let payload = base64url(
            #"{"iss":"\#(Fixture.issuer)","sub":"c","aud":"\#(Fixture.audience)","exp":\#(Fixture.now + 60),"iat":\#(Fixture.now),"jti":"n"}"#
        )
        let none = base64url(#"{"alg":"none","kid":"ec1"}"#) + "." + payload + "."
        #expect(try await failure("Bearer " + none)?.reason == "the token is not a signed JWT (header.payload.signature)")
        let noneSigned = base64url(#"{"alg":"none","kid":"ec1"}"#) + "." + payload + ".AAAA"
        #expect(try await failure("Bearer " + noneSigned)?.reason == "algorithm \"none\" is not accepted (ES384 or RS384)")
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: String(repeating: "s", count: 48)), digestAlgorithm: .sha256, kid: "ec1")
        let hs = try await keys.sign(Fixture.Claims(), kid: "ec1")
        #expect(try await failure("Bearer " + hs)?.reason == "algorithm \"HS256\" is not accepted (ES384 or RS384)")
        let rsHeader = base64url(#"{"alg":"RS384","kid":"ec1"}"#) + "." + payload + ".AAAA"
        #expect(try await failure("Bearer " + rsHeader)?.reason == "key \"ec1\" is for ES384, the token says RS384")
    }

    @Test func aReplayedJTIIsRefusedUntilItExpires() async throws {
        var now = Fixture.now
        let clock = Locked(now)
        let auth = ClientAuthenticator(trust: try await TrustConfiguration.parse(f.trustDocument()), now: { clock.withLock { $0 } })
        let token = try await f.token()
        #expect(try await failure("Bearer " + token, auth) == nil)
        #expect(try await failure("Bearer " + token, auth)?.reason == "jti was already used (replay)")
        // Still refused later within its lifetime.
        now += 60
        clock.withLock { $0 = now }
        #expect(try await failure("Bearer " + token, auth)?.reason == "jti was already used (replay)")
    }

    @Test func theHeaderIsChecked() async throws {
        let missing = try await failure(nil)
        #expect(missing?.tokenPresented == false)
        #expect(missing?.status == 401)
        #expect(try await failure("Basic dTpw")?.reason == "the Authorization header is not a Bearer token")
        #expect(try await failure("Bearer a.b")?.reason == "the token is not a signed JWT (header.payload.signature)")
        #expect(try await failure("Bearer !!!.b.c")?.reason == "the JWT header is not base64url JSON")
    }

    @Test func subjectsOutsideTheIssuersListGet403() async throws {
        let auth = try await f.authenticator(f.trustDocument(extra: ["subjects": ["client-2"]]))
        let refused = try await failure("Bearer " + f.token(), auth)
        #expect(refused?.status == 403)
    }
}

@Suite struct ReplayCacheTests {
    @Test func aJTIIsRememberedUntilItsExpiryOnly() {
        let cache = ReplayCache()
        #expect(cache.insert("a", until: 100, now: 10))
        #expect(!cache.insert("a", until: 100, now: 99))
        #expect(cache.insert("b", until: 100, now: 99))
        #expect(cache.insert("a", until: 300, now: 100))
    }
}

@Suite struct Base64URLTests {
    @Test func decodes() {
        #expect(Base64URL.decode("aGVsbG8".utf8) == Array("hello".utf8))
        #expect(Base64URL.decode("_-8".utf8) == [0xFF, 0xEF])
        #expect(Base64URL.decode("aGVsbG8=".utf8) == nil)
        #expect(Base64URL.decode("a".utf8) == nil)
        #expect(Base64URL.decode("aGVsbG9".utf8) == nil)  // leftover bits not zero
    }
}
