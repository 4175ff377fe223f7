import CDSEngine
import CDSJSON

/// The CDS Hooks service definition and card settings (`Catalog/cds-hooks.json`).
package struct CDSHooksSettings: Sendable {
    package var serviceID: String
    package var hook: String
    package var title: String
    package var description: String
    package var prefetch: JSONValue
    package var sourceLabel: String
    package var topicSystem: String
    package var overrideReasons: [Catalog.Code]
    package var overrideReasonSystem: String

    /// The discovery document (`GET {baseURL}/cds-services`).
    package var discovery: JSONValue {
        [
            "services": [
                [
                    "hook": .string(hook), "id": .string(serviceID), "title": .string(title), "description": .string(description),
                    "prefetch": prefetch,
                ]
            ]
        ]
    }
}
